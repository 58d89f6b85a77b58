"""The tag system and customer portraits.

Tags are declared in ``configs/tags.yaml`` (rules on features, see
:mod:`gridcrm.tags.rules`), checked by :func:`load_tags` and evaluated on a
feature table by :meth:`TagSet.evaluate`. :class:`Portraits` gathers a
customer's tags, key features and other models' outputs into one record, and
describes any group of customers; :func:`plot_group_portrait` draws a group portrait.
:func:`tag_catalogue` lists every tag with its share of a feature table, and
:func:`catalogue_markdown` writes that list as the Markdown catalogue (``docs/tags.md``).
"""

from gridcrm.tags.catalogue import catalogue_markdown, tag_catalogue
from gridcrm.tags.engine import TagSet, TagSpec, load_tags
from gridcrm.tags.plots import plot_group_portrait
from gridcrm.tags.portraits import GroupPortrait, Portraits, group_kpis
from gridcrm.tags.result import TagResult
from gridcrm.tags.rules import TagRuleError

__all__ = [
    "GroupPortrait",
    "Portraits",
    "TagResult",
    "TagRuleError",
    "TagSet",
    "TagSpec",
    "catalogue_markdown",
    "group_kpis",
    "load_tags",
    "plot_group_portrait",
    "tag_catalogue",
]
