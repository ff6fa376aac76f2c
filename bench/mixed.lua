-- Part 6 of make bench: each connection takes the next of the paths given after the URL, in
-- turn; every request carries the token (the public notices ignore it).
-- wrk ... <url> -- <token> <path> <path> ...
local requests = {}
local counter = 0

function init(args)
  local headers = { ["Authorization"] = "Bearer " .. args[1], ["Accept"] = "application/json" }
  for i = 2, #args do
    requests[#requests + 1] = wrk.format("GET", args[i], headers)
  end
end

function request()
  counter = counter + 1
  return requests[(counter % #requests) + 1]
end
