"""One router per resource family; the generic CRUD routers come from api.crud."""
