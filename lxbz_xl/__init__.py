"""lxbz-xl: 考评细则 as data, scored exactly.

Data flows one way: definition → case → evaluation → result → (cell | report | workbook).
"""

from lxbz_xl.definition.loader import load_definition, load_rubric
from lxbz_xl.engine.evaluate import evaluate
from lxbz_xl.result import Result

__all__ = ["Result", "evaluate", "load_definition", "load_rubric"]
__version__ = "0.1.0"
