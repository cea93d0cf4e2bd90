{{ message_events() }}
