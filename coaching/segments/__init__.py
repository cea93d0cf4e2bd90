"""Segments: rule trees over worker features, validated as data and evaluated without SQL text."""
