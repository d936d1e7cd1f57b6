"""Excel workbook templates generated from rubric definitions (layout, formulas, cached values, fill).

Modules: model (the plan's data classes; a leaf), plan_* (one planner per block, sharing plan_context),
form (plan_for composes the planners), layout (public layout API), formulas (the formula walk) with its
back ends udf_formulas / native_formulas, cached_values (values in the saved package), build, fill,
samples (generated cases), proof (recalculation in pycel / LibreOffice), preview, roster (the roster
block compiled for the 班子成员明细 sheet).
"""
