"""Claims about open-source AI as data, and the verdict logic that tests them (pure)."""
