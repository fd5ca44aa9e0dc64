"""LLM providers behind one interface: OpenAI, Anthropic, OpenAI-compatible servers, offline."""
