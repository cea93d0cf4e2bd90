"""The ASGI entry point uvicorn imports (`api.asgi:app`), configured from the environment."""

from api.main import create_app

app = create_app()
