"""One module per resource, each with an `APIRouter` named `router` (included by `api.app`)."""
