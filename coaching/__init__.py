"""The kernel of the ABCD coaching lakehouse: settings, the operational store, tenancy, the
statistics engine, the world simulator and the `coach` command line."""
