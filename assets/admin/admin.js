// The operators' console: plain JavaScript over the public GraphQL API.
// Tokens live in sessionStorage (gone with the tab) and are refreshed a
// minute before the access token expires. Every value from the server is
// written with textContent, never parsed as HTML.
"use strict";

const WORDS = {
  zh: {
    title: "zhanghao 管理后台", signOut: "退出", signInTitle: "管理员登录", account: "账号", password: "密码",
    signIn: "登录", users: "用户", auditLog: "审计日志", search: "搜索（ID、用户名、昵称、手机号、邮箱）",
    status: "状态", any: "全部", ACTIVE: "正常", DISABLED: "已停用", PENDING_DELETION: "待注销", DELETED: "已注销",
    find: "查找", id: "ID", username: "用户名", nickname: "昵称", mobile: "手机号", email: "邮箱", role: "角色",
    createdAt: "注册时间", more: "下一页", older: "更早", open: "查看", close: "关闭", reason: "停用原因",
    disable: "停用", enable: "启用", revoke: "下线所有会话", bindings: "第三方绑定", sessions: "会话",
    startedAt: "开始时间", lastUsedAt: "最近使用", ip: "IP", userAgent: "客户端", loginHistory: "登录记录",
    at: "时间", method: "方式", result: "结果", userId: "用户 ID", action: "操作", actor: "操作人",
    target: "对象", detail: "详情", none: "无", success: "成功", failed: "失败", count: "共 {n} 个用户",
    notAdmin: "该账号不是管理员", signedOut: "已退出", disabled: "已停用用户 {id}，其会话已全部下线",
    enabled: "已启用用户 {id}", revoked: "用户 {id} 的会话已全部下线", lastLoginAt: "最近登录",
    disabledReason: "停用原因", disabledUntil: "停用至", hasPassword: "有密码", yes: "是", no: "否",
    cli: "命令行", ADMIN: "管理员", USER: "用户", user: "用户 {id}",
    "user.disabled": "停用", "user.enabled": "启用", "user.role_changed": "角色变更",
    "user.sessions_revoked": "下线会话", "user.password_reset": "重设密码", "user.password_changed": "修改密码",
    "user.mobile_rebound": "换绑手机", "user.deletion_requested": "申请注销", "user.deleted": "注销",
  },
  en: {
    title: "zhanghao admin", signOut: "Sign out", signInTitle: "Administrator sign-in", account: "Account",
    password: "Password", signIn: "Sign in", users: "Users", auditLog: "Audit log",
    search: "Search (id, username, nickname, mobile, email)", status: "Status", any: "Any", ACTIVE: "Active",
    DISABLED: "Disabled", PENDING_DELETION: "Pending deletion", DELETED: "Deleted", find: "Find", id: "ID",
    username: "Username", nickname: "Nickname", mobile: "Mobile", email: "Email", role: "Role",
    createdAt: "Created", more: "Next page", older: "Older", open: "Open", close: "Close",
    reason: "Reason for disabling", disable: "Disable", enable: "Enable", revoke: "Revoke all sessions",
    bindings: "Third-party bindings", sessions: "Sessions", startedAt: "Started", lastUsedAt: "Last used",
    ip: "IP", userAgent: "Client", loginHistory: "Login history", at: "Time", method: "Method",
    result: "Result", userId: "User ID", action: "Action", actor: "Actor", target: "Target", detail: "Detail",
    none: "None", success: "Success", failed: "Failed", count: "{n} users", notAdmin: "This account is not an administrator",
    signedOut: "Signed out", disabled: "User {id} is disabled and signed out everywhere", enabled: "User {id} is enabled",
    revoked: "User {id} is signed out everywhere", lastLoginAt: "Last sign-in", disabledReason: "Reason",
    disabledUntil: "Disabled until", hasPassword: "Has password", yes: "Yes", no: "No", cli: "command line",
    ADMIN: "Admin", USER: "User", user: "user {id}",
    "user.disabled": "Disabled", "user.enabled": "Enabled", "user.role_changed": "Role changed",
    "user.sessions_revoked": "Sessions revoked", "user.password_reset": "Password reset",
    "user.password_changed": "Password changed", "user.mobile_rebound": "Mobile changed",
    "user.deletion_requested": "Deletion requested", "user.deleted": "Deleted",
  },
};

const ACTIONS = [
  "user.disabled", "user.enabled", "user.role_changed", "user.sessions_revoked", "user.password_reset",
  "user.password_changed", "user.mobile_rebound", "user.deletion_requested", "user.deleted",
];

const lang = (navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || "zh"])
  .map((l) => String(l).toLowerCase())
  .find((l) => l.startsWith("en") || l.startsWith("zh"));
const LANG = lang && lang.startsWith("en") ? "en" : "zh";
const t = (key, values) =>
  (WORDS[LANG][key] || key).replace(/\{(\w+)\}/g, (_, name) => String(values && values[name]));
const $ = (id) => document.getElementById(id);

const USER_FIELDS = "id username nickname mobile email status role createdAt";
const state = { usersAfter: null, auditAfter: null, historyAfter: null, current: null, refreshTimer: null };

// ---- tokens and GraphQL ------------------------------------------------------------------

function saveTokens(tokens) {
  const expiresAt = Date.now() + tokens.expiresIn * 1000;
  sessionStorage.setItem("zhanghao.admin", JSON.stringify({ ...tokens, expiresAt }));
  scheduleRefresh();
}

function loadTokens() {
  try {
    return JSON.parse(sessionStorage.getItem("zhanghao.admin") || "null");
  } catch {
    return null;
  }
}

function scheduleRefresh() {
  clearTimeout(state.refreshTimer);
  const tokens = loadTokens();
  if (!tokens) return;
  const wait = Math.max(5000, tokens.expiresAt - Date.now() - 60000);
  state.refreshTimer = setTimeout(() => refresh().catch(() => signOut(false)), wait);
}

async function refresh() {
  const tokens = loadTokens();
  if (!tokens) throw new Error("signed out");
  const data = await post(
    "mutation($t: String!) { refreshToken(refreshToken: $t) { tokens { accessToken refreshToken expiresIn } } }",
    { t: tokens.refreshToken },
    null,
  );
  saveTokens(data.refreshToken.tokens);
}

async function post(query, variables, token) {
  const headers = { "Content-Type": "application/json", "Accept-Language": LANG === "en" ? "en" : "zh-CN" };
  if (token) headers.Authorization = `Bearer ${token}`;
  const answer = await fetch("/graphql", { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  const body = await answer.json();
  if (body.errors && body.errors.length) {
    const error = new Error(body.errors[0].message);
    error.code = body.errors[0].extensions && body.errors[0].extensions.code;
    throw error;
  }
  return body.data;
}

// Signed-in calls: an expired access token is refreshed once and the call tried again.
async function gql(query, variables) {
  const tokens = loadTokens();
  if (!tokens) throw new Error(t("signedOut"));
  try {
    return await post(query, variables, tokens.accessToken);
  } catch (error) {
    if (error.code !== "UNAUTHENTICATED") throw error;
    await refresh();
    return post(query, variables, loadTokens().accessToken);
  }
}

// ---- little DOM helpers ------------------------------------------------------------------

function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined || text === "" ? "—" : String(text);
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

function when(iso) {
  return iso ? new Date(iso).toLocaleString(LANG === "en" ? "en-GB" : "zh-CN", { hour12: false }) : "—";
}

function badge(status) {
  const span = document.createElement("span");
  span.className = status === "ACTIVE" ? "badge" : "badge off";
  span.textContent = t(status);
  return span;
}

function notify(text, isError) {
  const notice = $("notice");
  notice.textContent = text;
  notice.className = isError ? "notice error" : "notice";
  notice.hidden = false;
}

async function guarded(work) {
  try {
    await work();
  } catch (error) {
    notify(error.message, true);
  }
}

// ---- sign-in -----------------------------------------------------------------------------

async function signIn(event) {
  event.preventDefault();
  const data = await post(
    "mutation($input: LoginInput!) { login(input: $input) { user { id username role } tokens { accessToken refreshToken expiresIn } } }",
    { input: { account: $("account").value, password: $("password").value } },
    null,
  );
  if (data.login.user.role !== "ADMIN") {
    notify(t("notAdmin"), true);
    return;
  }
  $("password").value = "";
  saveTokens(data.login.tokens);
  await showConsole();
}

async function showConsole() {
  const data = await gql("{ me { id username role } }");
  if (!data.me || data.me.role !== "ADMIN") {
    signOut(false);
    notify(t("notAdmin"), true);
    return;
  }
  $("who-name").textContent = data.me.username || t("user", { id: data.me.id });
  $("who").hidden = false;
  $("sign-in").hidden = true;
  $("console").hidden = false;
  $("notice").hidden = true;
  await searchUsers(false);
  $("search").focus();
}

function signOut(tell) {
  const tokens = loadTokens();
  if (tokens) {
    post("mutation($t: String) { logout(refreshToken: $t) }", { t: tokens.refreshToken }, tokens.accessToken).catch(() => {});
  }
  sessionStorage.removeItem("zhanghao.admin");
  clearTimeout(state.refreshTimer);
  $("console").hidden = true;
  $("who").hidden = true;
  $("sign-in").hidden = false;
  if (tell) notify(t("signedOut"));
  $("account").focus();
}

// ---- users -------------------------------------------------------------------------------

async function searchUsers(more) {
  if (!more) state.usersAfter = null;
  const data = await gql(
    `query($search: String, $status: UserStatus, $after: String) {
       users(first: 20, search: $search, status: $status, after: $after) {
         totalCount pageInfo { hasNextPage endCursor } edges { node { ${USER_FIELDS} } } } }`,
    { search: $("search").value || null, status: $("status").value || null, after: state.usersAfter },
  );
  const body = $("user-table").tBodies[0];
  if (!more) body.replaceChildren();
  for (const { node } of data.users.edges) {
    const row = body.insertRow();
    cell(row, node.id);
    cell(row, node.username);
    cell(row, node.nickname);
    cell(row, node.mobile, "nowrap");
    cell(row, node.email);
    cell(row, "").replaceChildren(badge(node.status));
    cell(row, t(node.role));
    cell(row, when(node.createdAt), "nowrap");
    const open = document.createElement("button");
    open.type = "button";
    open.className = "quiet";
    open.textContent = t("open");
    open.setAttribute("aria-label", `${t("open")} ${node.id}`);
    open.addEventListener("click", () => guarded(() => openUser(node.id)));
    cell(row, "").replaceChildren(open);
  }
  $("user-count").textContent = t("count", { n: data.users.totalCount });
  state.usersAfter = data.users.pageInfo.endCursor;
  $("users-more").hidden = !data.users.pageInfo.hasNextPage;
}

async function openUser(id) {
  const data = await gql(
    `query($id: ID!) { user(id: $id) { ${USER_FIELDS} avatar lastLoginAt hasPassword disabledReason disabledUntil
       bindings { platform boundAt } sessions { id createdAt lastUsedAt ip userAgent }
       loginHistory(first: 20) { pageInfo { hasNextPage endCursor } edges { node { at method success failureCode ip } } } } }`,
    { id },
  );
  const user = data.user;
  if (!user) return;
  state.current = user;
  $("detail-title").textContent = `${user.username || user.nickname || user.mobile || user.email || t("user", { id: user.id })} · ID ${user.id}`;
  const profile = $("profile");
  profile.replaceChildren();
  const facts = [
    ["username", user.username], ["nickname", user.nickname], ["mobile", user.mobile], ["email", user.email],
    ["role", t(user.role)], ["status", null], ["createdAt", when(user.createdAt)], ["lastLoginAt", when(user.lastLoginAt)],
    ["hasPassword", user.hasPassword ? t("yes") : t("no")], ["disabledReason", user.disabledReason],
    ["disabledUntil", user.disabledUntil && when(user.disabledUntil)],
  ];
  for (const [key, value] of facts) {
    const dt = document.createElement("dt");
    dt.textContent = t(key);
    const dd = document.createElement("dd");
    if (key === "status") dd.replaceChildren(badge(user.status));
    else dd.textContent = value || "—";
    profile.append(dt, dd);
  }
  $("disable").hidden = user.status !== "ACTIVE";
  $("reason-field").hidden = user.status !== "ACTIVE";
  $("enable").hidden = user.status === "ACTIVE";
  const bindings = $("bindings");
  bindings.replaceChildren();
  for (const b of user.bindings) {
    const li = document.createElement("li");
    li.textContent = `${b.platform} · ${when(b.boundAt)}`;
    bindings.appendChild(li);
  }
  if (!user.bindings.length) bindings.textContent = t("none");
  const sessions = $("session-table").tBodies[0];
  sessions.replaceChildren();
  for (const s of user.sessions) {
    const row = sessions.insertRow();
    cell(row, when(s.createdAt), "nowrap");
    cell(row, when(s.lastUsedAt), "nowrap");
    cell(row, s.ip);
    cell(row, s.userAgent);
  }
  if (!user.sessions.length) cell(sessions.insertRow(), t("none")).colSpan = 4;
  $("history-table").tBodies[0].replaceChildren();
  showHistory(user.loginHistory);
  $("detail").hidden = false;
  $("detail").focus();
}

function showHistory(page) {
  const body = $("history-table").tBodies[0];
  for (const { node } of page.edges) {
    const row = body.insertRow();
    cell(row, when(node.at), "nowrap");
    cell(row, node.method);
    cell(row, node.success ? t("success") : `${t("failed")} (${node.failureCode})`);
    cell(row, node.ip);
  }
  if (!body.rows.length) cell(body.insertRow(), t("none")).colSpan = 4;
  state.historyAfter = page.pageInfo.endCursor;
  $("history-more").hidden = !page.pageInfo.hasNextPage;
}

async function moreHistory() {
  const data = await gql(
    `query($id: ID!, $after: String) { user(id: $id) { loginHistory(first: 20, after: $after) {
       pageInfo { hasNextPage endCursor } edges { node { at method success failureCode ip } } } } }`,
    { id: state.current.id, after: state.historyAfter },
  );
  showHistory(data.user.loginHistory);
}

async function act(mutation, variables, message) {
  const id = state.current.id;
  await gql(mutation, { id, ...variables });
  notify(t(message, { id }));
  await openUser(id);
  await searchUsers(false);
}

// ---- audit log ---------------------------------------------------------------------------

async function readAudit(more) {
  if (!more) state.auditAfter = null;
  const userId = $("audit-user").value.trim();
  const data = await gql(
    `query($after: String, $userId: ID, $action: String) {
       auditLog(first: 20, after: $after, userId: $userId, action: $action) {
         pageInfo { hasNextPage endCursor } edges { node { id at actorId action targetUserId ip detail } } } }`,
    { after: state.auditAfter, userId: userId || null, action: $("audit-action").value || null },
  );
  const body = $("audit-table").tBodies[0];
  if (!more) body.replaceChildren();
  for (const { node } of data.auditLog.edges) {
    const row = body.insertRow();
    cell(row, when(node.at), "nowrap");
    const action = cell(row, t(node.action), "nowrap");
    const code = document.createElement("span");
    code.className = "code";
    code.textContent = node.action;
    action.appendChild(code);
    cell(row, node.actorId ? t("user", { id: node.actorId }) : t("cli"));
    cell(row, node.targetUserId && t("user", { id: node.targetUserId }));
    cell(row, node.ip);
    cell(row, node.detail);
  }
  if (!body.rows.length) cell(body.insertRow(), t("none")).colSpan = 6;
  state.auditAfter = data.auditLog.pageInfo.endCursor;
  $("audit-more").hidden = !data.auditLog.pageInfo.hasNextPage;
}

function showTab(name) {
  const users = name === "users";
  $("notice").hidden = true;
  $("users-view").hidden = !users;
  $("audit-view").hidden = users;
  $("tab-users").setAttribute("aria-pressed", String(users));
  $("tab-audit").setAttribute("aria-pressed", String(!users));
  if (!users) guarded(() => readAudit(false));
}

// ---- start -------------------------------------------------------------------------------

function translate() {
  document.documentElement.lang = LANG === "en" ? "en" : "zh-CN";
  document.title = t("title");
  for (const element of document.querySelectorAll("[data-i18n]")) {
    element.textContent = t(element.dataset.i18n);
  }
  for (const action of ACTIONS) {
    const option = document.createElement("option");
    option.value = action;
    option.textContent = `${t(action)} (${action})`;
    $("audit-action").appendChild(option);
  }
}

translate();
$("sign-in-form").addEventListener("submit", (e) => guarded(() => signIn(e)));
$("sign-out").addEventListener("click", () => signOut(true));
$("search-form").addEventListener("submit", (e) => {
  e.preventDefault();
  guarded(() => searchUsers(false));
});
$("users-more").addEventListener("click", () => guarded(() => searchUsers(true)));
$("detail-close").addEventListener("click", () => {
  $("detail").hidden = true;
});
$("history-more").addEventListener("click", () => guarded(moreHistory));
$("disable").addEventListener("click", () =>
  guarded(() =>
    act(
      "mutation($id: ID!, $reason: String) { disableUser(id: $id, reason: $reason) { id status } }",
      { reason: $("reason").value || null },
      "disabled",
    ),
  ),
);
$("enable").addEventListener("click", () =>
  guarded(() => act("mutation($id: ID!) { enableUser(id: $id) { id status } }", {}, "enabled")),
);
$("revoke").addEventListener("click", () =>
  guarded(() => act("mutation($id: ID!) { revokeUserSessions(id: $id) }", {}, "revoked")),
);
$("tab-users").addEventListener("click", () => showTab("users"));
$("tab-audit").addEventListener("click", () => showTab("audit"));
$("audit-form").addEventListener("submit", (e) => {
  e.preventDefault();
  guarded(() => readAudit(false));
});
$("audit-more").addEventListener("click", () => guarded(() => readAudit(true)));
if (loadTokens()) {
  scheduleRefresh();
  guarded(showConsole);
}
