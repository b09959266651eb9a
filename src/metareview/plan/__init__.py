"""The analysis plan: settings of each analysis, and the runner that carries them out."""
