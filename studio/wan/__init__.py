"""The Wan protocol in pure Python: capability table, images, request builder, validator, client.

Nothing under studio/wan/ imports Django; the pipeline and the web apps build on it.
"""
