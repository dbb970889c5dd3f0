"""LlamaIndex's Markdown header splitter, reading headings through the project's block model (imported
by the chunker only when a doc is chunked: LlamaIndex takes ~2 s to import)."""

from __future__ import annotations

from llama_index.core import Document
from llama_index.core.node_parser import MarkdownNodeParser
from llama_index.core.schema import BaseNode, MetadataMode, TextNode

from bot.text.markdown import parse_blocks


class BlockMarkdownParser(MarkdownNodeParser):
    """LlamaIndex's Markdown header splitter, reading headings through the shared block model: its own
    scan toggles "in code" on any line starting with three backticks, so a doc whose fence opens with
    one info string and seems to close with another ("```bash" … "```bash") had its code read as
    headings. Here a heading is what CommonMark (and GitHub) render as one."""

    def get_nodes_from_node(self, node: BaseNode) -> list[TextNode]:
        text = node.get_content(metadata_mode=MetadataMode.NONE)
        nodes: list[TextNode] = []
        stack: list[tuple[int, str]] = []
        current: list[str] = []

        def flush() -> None:
            if "\n".join(current).strip():
                parents = self.header_path_separator.join(h for _, h in stack[:-1])
                nodes.append(self._build_node_from_split("\n\n".join(current).strip(), node, parents))

        for block in parse_blocks(text):
            if block.kind != "heading":
                current.append(block.source)
                continue
            flush()
            title = block.heading_text.split("\n")[0].strip()  # a setext heading's underline is not its text
            while stack and stack[-1][0] >= block.level:
                stack.pop()
            stack.append((block.level, title))
            current = [f"{'#' * block.level} {title}"]
        flush()
        return nodes


def header_nodes(text: str, separator: str) -> list[TextNode]:
    """The doc as one node per section, each with its ``header_path`` (parent headings joined by ``separator``)."""
    parser = BlockMarkdownParser.from_defaults(header_path_separator=separator, include_prev_next_rel=False)
    return parser.get_nodes_from_documents([Document(text=text)])
