"""Activation: from the published schedule to WhatsApp and SMS sends through the Twilio SDK."""
