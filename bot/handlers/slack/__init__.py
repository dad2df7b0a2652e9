"""The Slack adapter: slack-bolt listeners that translate Slack payloads to the core and back."""
