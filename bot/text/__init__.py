"""The text toolkit: every rule about scripts, words, sentences and Markdown, written once.

Ingestion, retrieval, answering, diagnostics and rendering all read text through these modules, so a
rule (which characters are Chinese, which words are stopwords, where a sentence ends, what a code
fence is) has one definition.
"""
