"""GraphQL over the read model at `/graphql`: the REST API's models and query functions, as a
graph (an asset's holders, a holder's portfolio, a proposal's votes...), with limits on depth,
cost, aliases and tokens. `api.routes.graphql` mounts it."""
