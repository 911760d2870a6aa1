"""The app side of the analysis engine: feeding it (`feeding`), its jobs (`jobs`), the facilitator's
decisions (`decisions`) and the pages (`views`: suggestions, groupings).
"""
