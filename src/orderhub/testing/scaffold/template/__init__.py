"""The templates ``orderhub connectors new`` renders (``*.tmpl``, ``string.Template`` syntax).

A package only so that the templates ship in the wheel and load with ``importlib.resources``.
"""
