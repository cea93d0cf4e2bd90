"""The end-to-end demo on the embedded default: a simulated world through ingest, the dbt build,
activation against the local Twilio emulator with the API's webhooks, and a report beside the
simulator's planted truth. The one package that may import every other (nothing imports it)."""
