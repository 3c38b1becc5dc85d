"""The Pima Indians diabetes data set, bundled with lamina (no download).

768 women of Pima Indian heritage, aged 21 or older, from the National Institute of Diabetes and
Digestive and Kidney Diseases (distributed through the UCI repository); 268 developed diabetes
within five years.
"""

import csv
import importlib.resources

import numpy as np

COLUMNS = (
    "pregnancies",        # number of times pregnant
    "glucose",            # plasma glucose 2 hours into an oral glucose tolerance test
    "blood_pressure",     # diastolic blood pressure (mm Hg)
    "skin_thickness",     # triceps skin fold thickness (mm)
    "insulin",            # 2-hour serum insulin (mu U/ml)
    "bmi",                # body mass index (kg / m^2)
    "diabetes_pedigree",  # diabetes pedigree function (family history score)
    "age",                # years
)


def load_data():
    """Load the Pima Indians diabetes table.

    Returns:
        `(x, y)`: `x` float32 of shape (768, 8), columns in the order of `COLUMNS`:
        pregnancies, glucose, blood_pressure, skin_thickness, insulin, bmi,
        diabetes_pedigree, age (a 0 in glucose, blood pressure, skin thickness, insulin or bmi
        means "not measured"); `y` float32 of shape (768,): 1.0 if the patient developed
        diabetes, else 0.0. There is no train/test split: use `validation_split` in `fit`.

    Example:
        >>> x, y = load_data()
        >>> model.fit(x, y, epochs=150, batch_size=10, validation_split=0.2)
    """
    resource = importlib.resources.files("lamina.datasets").joinpath(
        "data/pima-indians-diabetes.csv"
    )
    with resource.open("r", encoding="utf-8", newline="") as f:
        rows = csv.reader(f)
        header = next(rows)
        table = np.array([[float(v) for v in row] for row in rows], dtype=np.float32)
    if tuple(header[:-1]) != COLUMNS:
        raise ValueError(f"Unexpected columns in the bundled Pima CSV: {header}.")
    return table[:, :-1], table[:, -1]
