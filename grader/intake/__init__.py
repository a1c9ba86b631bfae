"""Finding what students handed in: folders (``folders``), and the ``Submission`` each one becomes."""
