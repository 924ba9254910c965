"""The inquiry workflow: from a question to a checked, cited answer. Reached through `assistant.services`."""
