"""`lamina.datasets`: small data sets bundled with lamina."""

from lamina.datasets import pima_indians_diabetes as pima_indians_diabetes
