"""Everything gdgrade writes for people and other systems, rendered from the one report model.

``summary`` tallies a batch into the class overview; ``render`` (terminal text and Markdown),
``html`` (the feedback pages and the overview), ``junit``, ``gradescope`` and ``github`` render
reports; ``gradebook`` writes a batch's files into its output folder.
"""
