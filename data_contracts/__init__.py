"""Data contracts: the schema of everything that enters the lake, the checks a row must pass to
land in bronze, and the great-expectations suites that audit what landed."""
