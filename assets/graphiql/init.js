// Starts GraphiQL on /graphql. Kept out of index.html so the page's
// Content-Security-Policy can forbid inline scripts.
(function () {
  var defaultQuery = [
    "# Welcome to zhanghao's GraphiQL. The Docs button (top left) lists every",
    "# query and mutation.",
    "#",
    "# Sign in with `login` (or `verifySms` after `sendSmsCode`), then put the",
    "# access token in the Headers tab below the editor:",
    '#   {"Authorization": "Bearer <accessToken>"}',
    "# and run this query with the play button or Ctrl+Enter:",
    "",
    "{ me { id username } }",
    "",
  ].join("\n");
  var fetcher = GraphiQL.createFetcher({
    url: "/graphql",
    headers: { Accept: "application/graphql-response+json, application/json" },
  });
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: defaultQuery,
      defaultEditorToolsVisibility: "headers",
      // Bearer tokens typed into the headers pane are not kept in localStorage.
      shouldPersistHeaders: false,
    })
  );
})();
