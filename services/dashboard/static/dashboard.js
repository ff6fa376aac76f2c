/* The dashboard (数据看板): signs in with the platform's own login and reads the statistics,
 * red-flag, tenancy and open-data routes as the signed-in user. The server decides what each
 * user may see; this page only shows it. The tokens live in sessionStorage (gone with the
 * tab), are sent only in the Authorization header and never put in a URL. */
"use strict";

(function () {
  const ACCESS = "sws.dashboard.access";
  const REFRESH = "sws.dashboard.refresh";
  const NATION = "000000";

  const METHODS = {
    open_tender: "公开招标",
    invited_tender: "邀请招标",
    competitive_negotiation: "竞争性谈判",
    competitive_consultation: "竞争性磋商",
    single_source: "单一来源",
  };
  const FUNDING = {
    general_budget: "一般公共预算",
    lottery_welfare_fund: "福利彩票公益金",
    central_special_fund: "中央财政专项资金",
    social_funds: "社会资金",
  };
  const GRADES = { excellent: "优秀", good: "良好", pass: "合格", fail: "不合格" };
  const GROUPS = {
    migrants: "流动人口",
    left_behind_children: "留守儿童",
    left_behind_women: "留守妇女",
    left_behind_elderly: "留守老人",
    elderly: "老年人",
    disabled: "残疾人",
    drug_users: "吸毒人员",
    at_risk_youth: "社区青少年",
    people_with_hiv: "艾滋病患者",
    mental_illness: "精神障碍患者",
    vagrants: "流浪乞讨人员",
    community_correction: "社区服刑人员",
    prisoners_and_released: "服刑及刑满释放人员",
    disaster_victims: "受灾群众",
    families: "家庭",
    other: "其他",
  };
  const SUPPRESSED = "已隐去";

  // --- formatting: every figure is shown exactly as the API gives it -----------------------
  function grouped(digits) {
    return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }
  // Money is a decimal string of 元 ("1234567.00"): formatted as text, never through a float.
  function money(text) {
    const negative = text.startsWith("-");
    const [whole, cents] = (negative ? text.slice(1) : text).split(".");
    return (negative ? "-" : "") + grouped(whole) + (cents ? "." + cents : "") + " 元";
  }
  function count(value) {
    return grouped(String(value));
  }
  // Shares are fractions rounded to 4 places by the server: two decimals of a percent.
  function share(value) {
    return value === null || value === undefined ? "—" : (value * 100).toFixed(2) + "%";
  }
  function people(item) {
    return item.suppressed ? SUPPRESSED : count(item.value);
  }

  const HEADLINE = [
    ["budget_approved", "预算批复", (s) => money(s.budget_approved)],
    ["procurements", "采购项目数", (s) => count(s.procurements.total)],
    ["open_tender_share", "公开招标占比", (s) => share(s.procurements.open_tender_share)],
    ["contracted_value", "合同金额", (s) => money(s.contracts.contracted_value)],
    ["paid", "已支付", (s) => money(s.contracts.paid)],
    ["disbursement_rate", "支付率", (s) => share(s.contracts.disbursement_rate)],
    ["acceptance_pass_rate", "验收合格率", (s) => share(s.quality.acceptance_pass_rate)],
    ["savings_rate", "节约率", (s) => share(s.awards.savings_rate)],
    ["single_valid_bid_share", "单一有效投标占比", (s) => share(s.procurements.single_valid_bid_share)],
    ["people_served", "服务人次", (s) => people(s.service.people_served)],
  ];

  // --- the API, with the user's token ---------------------------------------------------
  class Problem extends Error {
    constructor(status, body) {
      super((body && (body.detail || body.title)) || "请求失败（" + status + "）");
      this.status = status;
    }
  }

  // A refresh token is good for one use (a reused one revokes the whole sign-in), so the
  // calls that find the access token expired all at once wait for one refresh together.
  let refreshing = null;
  function refreshed() {
    if (!refreshing) refreshing = rotate().finally(() => (refreshing = null));
    return refreshing;
  }

  async function rotate() {
    const token = sessionStorage.getItem(REFRESH);
    if (!token) return false;
    const response = await fetch("/v1/auth/refresh", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: token }),
    });
    if (!response.ok) return false;
    keep(await response.json());
    return true;
  }

  async function call(path, params, asBlob) {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(params || {})) {
      if (value !== "" && value !== null && value !== undefined) query.set(key, value);
    }
    const url = path + (query.toString() ? "?" + query : "");
    for (let attempt = 0; attempt < 2; attempt++) {
      const sent = sessionStorage.getItem(ACCESS);
      const response = await fetch(url, { headers: { Authorization: "Bearer " + sent } });
      if (response.status === 401 && attempt === 0) {
        // Another call may have refreshed the tokens meanwhile: then just try again.
        if (sessionStorage.getItem(ACCESS) !== sent || (await refreshed())) continue;
      }
      if (response.status === 401) {
        forget();
        showSignIn("登录已过期，请重新登录。");
        throw new Problem(401, null);
      }
      if (!response.ok) throw new Problem(response.status, await response.json().catch(() => null));
      return asBlob ? response.blob() : response.json();
    }
    throw new Problem(401, null);
  }

  function keep(tokens) {
    sessionStorage.setItem(ACCESS, tokens.access_token);
    sessionStorage.setItem(REFRESH, tokens.refresh_token);
  }

  function forget() {
    sessionStorage.removeItem(ACCESS);
    sessionStorage.removeItem(REFRESH);
  }

  // --- who is signed in, and what scope that gives ---------------------------------------
  const SCOPE_ROLES = [
    "province_viewer",
    "civil_affairs_officer",
    "civil_affairs_approver",
    "finance_officer",
    "finance_approver",
  ];

  function scopeOf(me) {
    if (me.roles.some((r) => r.role === "ministry_viewer")) return NATION;
    for (const role of SCOPE_ROLES) {
      const held = me.roles.find((r) => r.role === role && /^\d{6}$/.test(r.domain));
      if (held) return held.domain;
    }
    return null;
  }

  // Every region on the platform, by code (the tenancy list, read page by page).
  async function allRegions() {
    const regions = [];
    for (let offset = 0; ; offset += 200) {
      const page = await call("/v1/tenants", { limit: 200, offset });
      regions.push(...page.items);
      if (page.items.length < 200) return regions;
    }
  }

  // --- the page's state -----------------------------------------------------------------
  const state = { root: null, trail: [], regions: [], names: {}, charts: {}, loading: 0 };
  const $ = (id) => document.getElementById(id);

  function filters() {
    return { year: $("year").value, quarter: $("quarter").value, programme_area: $("area").value };
  }

  function statisticsPath(code) {
    return code === NATION ? "/v1/statistics/national" : "/v1/statistics/" + code;
  }

  function children(code) {
    if (code === NATION) return state.regions.filter((r) => r.level === "province" && r.active);
    return state.regions.filter((r) => r.parent_code === code && r.active);
  }

  function nameOf(code) {
    return code === NATION ? "全国" : state.names[code] || code;
  }

  // --- rendering ------------------------------------------------------------------------
  function element(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function renderHeadline(figures) {
    const box = $("headline");
    box.replaceChildren();
    for (const [key, label, show] of HEADLINE) {
      const card = element("div", undefined, "figure");
      card.dataset.figure = key;
      card.append(element("span", label, "label"), element("span", show(figures), "value"));
      box.append(card);
    }
  }

  function chart(id) {
    if (!state.charts[id]) state.charts[id] = echarts.init($(id), null, { renderer: "canvas" });
    return state.charts[id];
  }

  function empty(data) {
    return data.length === 0
      ? { text: "暂无数据", left: "center", top: "middle", textStyle: { color: "#9aa5b1", fontSize: 14 } }
      : { show: false };
  }

  function pie(id, data, format) {
    chart(id).setOption(
      {
        title: empty(data),
        tooltip: { trigger: "item", formatter: "{b}：{c}（{d}%）" },
        legend: { bottom: 0, show: data.length > 0 },
        series: [
          {
            type: "pie",
            radius: ["30%", "58%"],
            center: ["50%", "45%"],
            data,
            label: { formatter: (item) => (format || String)(item.value), overflow: "none" },
          },
        ],
      },
      true
    );
  }

  function bars(id, categories, data, labelFormatter) {
    chart(id).setOption(
      {
        title: empty(data),
        tooltip: { trigger: "axis" },
        grid: { left: 60, right: 20, top: 20, bottom: 60 },
        xAxis: { type: "category", data: categories, axisLabel: { interval: 0, rotate: 30 } },
        yAxis: { type: "value" },
        series: [
          {
            type: "bar",
            data,
            itemStyle: { color: "#c62828" },
            label: { show: true, position: "top", formatter: labelFormatter || "{c}" },
          },
        ],
      },
      true
    );
  }

  function renderCharts(s) {
    pie(
      "chart-methods",
      Object.entries(s.procurements.by_method).map(([k, v]) => ({ name: METHODS[k] || k, value: v }))
    );
    pie(
      "chart-funding",
      Object.entries(s.budget_by_funding_source).map(([k, v]) => ({ name: FUNDING[k] || k, value: Number(v) })),
      (value) => grouped(value.toFixed(2))
    );
    const grades = Object.entries(s.quality.evaluation_grades);
    bars(
      "chart-grades",
      grades.map(([k]) => GRADES[k] || k),
      grades.map(([, v]) => v)
    );
    // A suppressed count is a gap in the bars, labelled 已隐去 — never drawn as 0.
    const groups = Object.entries(s.service.people_served_by_target_group);
    bars(
      "chart-people",
      groups.map(([k, c]) => (GROUPS[k] || k) + (c.suppressed ? "（" + SUPPRESSED + "）" : "")),
      groups.map(([, c]) =>
        c.suppressed ? { value: "-", suppressed: true, label: { show: true, formatter: SUPPRESSED, position: "insideBottom" } } : c.value
      )
    );
  }

  function cell(text, numeric) {
    return element("td", text, numeric ? "num" : undefined);
  }

  function renderRegions(rows) {
    const body = $("regions").querySelector("tbody");
    body.replaceChildren();
    $("regions").hidden = rows.length === 0;
    $("chart-regions").hidden = rows.length === 0;
    $("regions-empty").hidden = rows.length !== 0;
    for (const { region, figures } of rows) {
      const tr = element("tr");
      tr.dataset.region = region.code;
      const name = element("td");
      const button = element("button", region.name, "region");
      button.type = "button";
      button.addEventListener("click", () => drillInto(region.code));
      name.append(button);
      tr.append(
        name,
        cell(region.code),
        cell(money(figures.budget_approved), true),
        cell(count(figures.procurements.total), true),
        cell(money(figures.contracts.contracted_value), true),
        cell(share(figures.contracts.disbursement_rate), true),
        cell(share(figures.quality.acceptance_pass_rate), true)
      );
      body.append(tr);
    }
    if (rows.length === 0) return;
    const names = rows.map((r) => r.region.name);
    const series = (name, pick) => ({ name, type: "bar", data: rows.map((r) => Number(pick(r.figures))) });
    const regionsChart = chart("chart-regions");
    regionsChart.setOption(
      {
        tooltip: { trigger: "axis" },
        legend: { top: 5 },
        grid: { left: 90, right: 20, top: 40, bottom: 40 },
        xAxis: { type: "category", data: names },
        yAxis: { type: "value", name: "元" },
        series: [
          series("预算批复", (f) => f.budget_approved),
          series("合同金额", (f) => f.contracts.contracted_value),
          series("已支付", (f) => f.contracts.paid),
        ],
      },
      true
    );
    regionsChart.off("click");
    regionsChart.on("click", (event) => drillInto(rows[event.dataIndex].region.code));
    regionsChart.resize();
  }

  const UNITS = { bids: "家", days: "天", working_days: "个工作日" };

  function flagValue(flag, key) {
    const text = flag[key];
    if (flag.unit === "share") return share(Number(text));
    return text + " " + (UNITS[flag.unit] || "");
  }

  function renderFlags(body) {
    const tbody = $("flags").querySelector("tbody");
    tbody.replaceChildren();
    $("flags-empty").hidden = body.flags.length !== 0;
    for (const flag of body.flags) {
      const tr = element("tr");
      tr.dataset.ocid = flag.ocid;
      tr.dataset.indicator = flag.indicator;
      const title = element("td");
      const link = element("a", flag.title);
      link.href = flag.record_url;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      link.title = flag.ocid;
      title.append(link);
      tr.append(
        cell(flag.name),
        cell(flag.region_name),
        cell(String(flag.year)),
        title,
        cell(flagValue(flag, "value"), true),
        cell(flagValue(flag, "threshold"), true),
        cell(flag.supplier || "—"),
        cell(flag.amount ? money(flag.amount) : "—", true)
      );
      tbody.append(tr);
    }
  }

  function renderTrail() {
    const trail = $("trail");
    trail.replaceChildren();
    state.trail.forEach((code, index) => {
      const item = element("li");
      const button = element("button", nameOf(code));
      button.type = "button";
      button.addEventListener("click", () => {
        if (index === state.trail.length - 1) return;
        state.trail = state.trail.slice(0, index + 1);
        load();
      });
      item.append(button);
      trail.append(item);
    });
  }

  function flagsPath(code, excel) {
    if (code === NATION) return excel ? "/v1/red-flags.xlsx" : "/v1/red-flags";
    return "/v1/red-flags/" + code + (excel ? "/red-flags.xlsx" : "");
  }

  // --- loading a scope --------------------------------------------------------------------
  async function load() {
    if (state.trail.length === 0) return; // not signed in yet
    const code = state.trail[state.trail.length - 1];
    const ticket = ++state.loading;
    const chosen = filters();
    $("status").textContent = "正在加载……";
    renderTrail();
    $("scope-title").textContent = nameOf(code) + (code === NATION ? "" : "（" + code + "）");
    try {
      const below = children(code);
      const [figures, flags, ...childFigures] = await Promise.all([
        call(statisticsPath(code), chosen),
        call(flagsPath(code, false), { year: chosen.year }),
        ...below.map((region) => call(statisticsPath(region.code), chosen)),
      ]);
      if (ticket !== state.loading) return; // a newer choice is on its way
      document.body.dataset.scope = code;
      renderHeadline(figures);
      renderCharts(figures);
      renderRegions(below.map((region, i) => ({ region, figures: childFigures[i] })));
      renderFlags(flags);
      $("status").textContent = "";
      document.body.dataset.loaded = String(ticket);
    } catch (error) {
      if (ticket === state.loading) $("status").textContent = "加载失败：" + error.message;
    }
  }

  function drillInto(code) {
    state.trail.push(code);
    load();
  }

  async function download(path, params, filename) {
    try {
      const blob = await call(path, params, true);
      const link = element("a");
      link.href = URL.createObjectURL(blob);
      link.download = filename;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10000);
    } catch (error) {
      $("status").textContent = "下载失败：" + error.message;
    }
  }

  function downloadFlags() {
    const code = state.trail[state.trail.length - 1];
    const year = $("year").value;
    download(flagsPath(code, true), { year }, "预警信号-" + nameOf(code) + "-" + year + ".xlsx");
  }

  function downloadFigures() {
    const code = state.trail[state.trail.length - 1];
    const path = code === NATION ? "/v1/statistics/national.xlsx" : statisticsPath(code) + "/statistics.xlsx";
    download(path, filters(), "统计-" + nameOf(code) + "-" + $("year").value + ".xlsx");
  }

  // --- signing in and out -----------------------------------------------------------------
  function showSignIn(message) {
    $("board").hidden = true;
    $("sign-out").hidden = true;
    $("who").textContent = "";
    $("sign-in-view").hidden = false;
    $("sign-in-error").textContent = message || "";
    document.body.dataset.loaded = "";
  }

  async function start() {
    let me;
    try {
      me = await call("/v1/me", {});
    } catch (error) {
      if (error.status !== 401) showSignIn("无法读取当前用户：" + error.message);
      return;
    }
    const scope = scopeOf(me);
    if (scope === null) {
      forget();
      showSignIn("您的角色不能查看数据看板（需民政部、省级查看或本地区民政、财政角色）。");
      return;
    }
    state.regions = await allRegions();
    state.names = Object.fromEntries(state.regions.map((r) => [r.code, r.name]));
    state.root = scope;
    state.trail = [scope];
    $("who").textContent = me.user.display_name + " · " + nameOf(scope);
    $("sign-in-view").hidden = true;
    $("board").hidden = false;
    $("sign-out").hidden = false;
    await load();
  }

  async function signIn(event) {
    event.preventDefault();
    $("sign-in-error").textContent = "";
    const response = await fetch("/v1/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ login: $("login").value.trim(), password: $("password").value }),
    });
    if (!response.ok) {
      const problem = await response.json().catch(() => null);
      $("sign-in-error").textContent =
        response.status === 429 ? "尝试次数过多，请稍后再试。" : "登录失败：" + ((problem && problem.detail) || response.status);
      return;
    }
    keep(await response.json());
    $("password").value = "";
    await start();
  }

  async function signOut() {
    const token = sessionStorage.getItem(REFRESH);
    forget();
    if (token) {
      await fetch("/v1/auth/logout", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ refresh_token: token }),
      }).catch(() => null);
    }
    for (const instance of Object.values(state.charts)) instance.dispose();
    state.charts = {};
    showSignIn("已退出登录。");
  }

  function yearOptions() {
    const now = new Date();
    // The fiscal year of Asia/Shanghai (UTC+8, no daylight saving).
    const thisYear = new Date(now.getTime() + 8 * 3600 * 1000).getUTCFullYear();
    const select = $("year");
    for (let year = thisYear + 1; year >= thisYear - 5; year--) {
      const option = element("option", year + " 年度");
      option.value = String(year);
      option.selected = year === thisYear;
      select.append(option);
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    yearOptions();
    $("sign-in").addEventListener("submit", signIn);
    $("sign-out").addEventListener("click", signOut);
    $("flags-xlsx").addEventListener("click", downloadFlags);
    $("figures-xlsx").addEventListener("click", downloadFigures);
    for (const id of ["year", "quarter", "area"]) $(id).addEventListener("change", load);
    window.addEventListener("resize", () => Object.values(state.charts).forEach((c) => c.resize()));
    if (sessionStorage.getItem(ACCESS)) start();
    else showSignIn();
  });
})();
