"""The zh-CN dashboard at /dashboard (数据看板): a static page and its scripts, served by the API.

It holds no data and reads nothing from the contexts: the page signs in with the platform's own
login and calls the statistics, red-flag, tenancy and open-data routes as the signed-in user,
so the server decides what each user sees exactly as for any other client (README, Dashboard).
"""
