"""Agent accounts: who may work the desk, and their sign-in tokens.

Below the handoff queue (a handoff is accepted by an agent) and the desk (which signs agents
in), so both can use it without importing each other."""
