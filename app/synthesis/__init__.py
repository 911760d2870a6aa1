"""Writing and validating the synthesis: statements and their versions, validation rounds and links,
the participants' pages, a statement's validation state, and the quotation rule every export obeys.
"""
