// Starts GraphiQL on /graphql (a file, not an inline script: the page's policy allows no inline
// code). Queries go to the same URL by POST.
const root = document.getElementById("graphiql");
const fetcher = GraphiQL.createFetcher({ url: root.dataset.endpoint });
ReactDOM.createRoot(root).render(
  React.createElement(GraphiQL, {
    fetcher,
    defaultEditorToolsVisibility: true,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: false,
  }),
);
