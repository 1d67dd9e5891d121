"""The public tests of every exercise, ``exNN_name.py``: shipped with the package.

They are package data, so ``nnedu.check(...)`` and ``nnedu check NOTEBOOK`` work wherever
nnedu is installed (a wheel, Binder, Colab), from any folder, on a lone notebook.
Hidden tests are written the same way and live outside the package (``nnedu grade --tests``).
"""
