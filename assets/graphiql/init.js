// Starts GraphiQL on /graphql. Kept out of index.html so the page's
// Content-Security-Policy can forbid inline scripts (script-src 'self').
(function () {
  var defaultQuery = [
    "# Welcome to zhanghao. Sign in with the `login` mutation, then put the",
    "# access token in the Headers pane below:",
    '#   {"Authorization": "Bearer <accessToken>"}',
    "{ me { id username } }",
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
    })
  );
})();
