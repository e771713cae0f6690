// Renders /openapi.json with Redoc. Kept out of index.html so the page's
// Content-Security-Policy can forbid inline scripts (script-src 'self').
(function () {
  var element = document.getElementById("redoc");
  Redoc.init(
    "/openapi.json",
    {
      // Redoc's default font stacks name web fonts it would not load here
      // (the page loads nothing from another host): system fonts instead.
      theme: {
        typography: {
          fontFamily: "system-ui, -apple-system, 'Segoe UI', 'PingFang SC', 'Microsoft YaHei', sans-serif",
          headings: { fontFamily: "system-ui, -apple-system, 'Segoe UI', 'PingFang SC', 'Microsoft YaHei', sans-serif" },
          code: { fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace" },
        },
      },
      expandResponses: "200,201",
      requiredPropsFirst: true,
      // The document has no `servers`: every path is on this host.
      hideHostname: true,
    },
    element,
    function (error) {
      if (error) {
        element.textContent = "The API description could not be rendered: " + error;
      }
    }
  );
})();
