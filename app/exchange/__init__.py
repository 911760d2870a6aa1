"""What leaves or enters as a file: the Word report, REFI-QDA projects and codebooks, CSV/XLSX,
the study archive, the export pages and the export/import commands.
"""
