// Starts GraphiQL on /graphql. Kept out of index.html so the page's
// Content-Security-Policy can forbid inline scripts (script-src 'self').
(function () {
  var defaultQuery = [
    "# Welcome to zhanghao. Sign in with the `login` mutation, then put the",
    "# access token in the Headers pane below:",
    '#   {"Authorization": "Bearer <accessToken>"}',
    "{ me { id username } }",
    "",
    "# Browser sign-in with WeChat (QR code), QQ, Weibo or Apple: ask",
    "#   thirdPartyAuthorizeUrl(input: {platform: WX_WEB, redirectUri: \"<yours>\",",
    "#                                  codeChallenge: \"<BASE64URL(SHA-256(verifier))>\"}) { url state }",
    "# send the browser to `url`; back on redirectUri?code=…&state=…, finish with",
    "#   thirdPartyLogin(input: {platform: WX_WEB, code, state, codeVerifier: \"<verifier>\"})",
    "# (the README shows the page's code).",
    "",
  ].join("\n");
  // Plain JSON POSTs to /graphql; headers typed into the Headers pane are
  // merged over these. No incremental delivery: it would add
  // "multipart/mixed" to Accept, and the server answers single JSON bodies.
  var fetcher = GraphiQL.createFetcher({
    url: "/graphql",
    enableIncrementalDelivery: false,
    headers: { accept: "application/graphql-response+json, application/json" },
  });
  // GraphiQL's query history (graphiql:queries, graphiql:favorites) keeps
  // each run's headers, bearer tokens included, whatever shouldPersistHeaders
  // says. This storage drops them from history entries before they reach
  // localStorage; everything else passes through.
  var HISTORY_KEY = /(^|:)(queries|favorites)$/;
  var withoutHeaders = function (value) {
    try {
      var stored = JSON.parse(value);
      Object.keys(stored).forEach(function (list) {
        if (Array.isArray(stored[list])) {
          stored[list] = stored[list].map(function (entry) {
            var copy = Object.assign({}, entry);
            delete copy.headers;
            return copy;
          });
        }
      });
      return JSON.stringify(stored);
    } catch (error) {
      return value;
    }
  };
  var storage = {
    getItem: function (key) {
      return window.localStorage.getItem(key);
    },
    setItem: function (key, value) {
      window.localStorage.setItem(key, HISTORY_KEY.test(key) ? withoutHeaders(value) : value);
    },
    removeItem: function (key) {
      window.localStorage.removeItem(key);
    },
    clear: function () {
      window.localStorage.clear();
    },
    key: function (index) {
      return window.localStorage.key(index);
    },
    get length() {
      return window.localStorage.length;
    },
  };
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: defaultQuery,
      defaultHeaders: "{}",
      isHeadersEditorEnabled: true,
      defaultEditorToolsVisibility: "headers",
      // Bearer tokens typed into the headers pane are not kept in localStorage.
      shouldPersistHeaders: false,
      storage: storage,
    })
  );
})();
