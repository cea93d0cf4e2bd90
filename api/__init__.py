"""The admin API: tenant-isolated CRUD over the operational store, Twilio webhooks, mart reads."""
