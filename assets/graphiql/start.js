// Starts GraphiQL on /graphiql. Kept out of the page so the page's CSP
// needs no 'unsafe-inline' for scripts. The headers typed into the
// Headers tab (e.g. {"Authorization": "Bearer <token>"}) go with every
// request and, for subscriptions, as the websocket's connection_init payload.
(function () {
  var root = document.getElementById("graphiql");
  var endpoint = root.dataset.endpoint;
  var subscriptions = new URL(root.dataset.subscriptions, window.location.href);
  subscriptions.protocol = subscriptions.protocol === "https:" ? "wss:" : "ws:";
  var fetcher = GraphiQL.createFetcher({
    url: new URL(endpoint, window.location.href).toString(),
    subscriptionUrl: subscriptions.toString(),
  });
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      defaultQuery: "# Sign in with the login mutation, then put the token in Headers:\n# {\"Authorization\": \"Bearer <accessToken>\"}\n{\n  me {\n    email\n  }\n}\n",
    }),
  );
})();
