"""The program managers' console: server-rendered pages under /console on the API's own sign-in,
tenancy and roles. Jinja2 templates and one stylesheet packaged with the API: no build step, no
script, nothing fetched from the network."""
