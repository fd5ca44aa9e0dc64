"""The Discord front end: a discord.py bot whose cogs call the orchestrator and nothing else."""
