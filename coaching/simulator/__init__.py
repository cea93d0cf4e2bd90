"""The world simulator: a deterministic, streaming generator of organizations, workers, programs,
experiments with planted effects, and the message traffic they produce, dirty rows included."""
