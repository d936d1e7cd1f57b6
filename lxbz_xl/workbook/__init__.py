"""Excel workbook templates generated from rubric definitions (layout, formulas, cached values, fill).

Modules: layout (public layout API), form (the form plan), udf_formulas / native_formulas (the two
variants), cached_values (values in the saved package), build, fill, samples (generated cases), proof
(recalculation in pycel / LibreOffice), preview, roster (learning_team's 班子成员明细).
"""
