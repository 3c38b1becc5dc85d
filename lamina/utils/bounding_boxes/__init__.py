"""`lamina.utils.bounding_boxes`: convert, clip, crop, pad, transform and compare boxes.

Boxes are arrays or tensors of shape `(N, 4)` or `(batch, N, 4)`; results are torch tensors.
"""

from lamina.utils.bounding_boxes.converters import affine_transform as affine_transform
from lamina.utils.bounding_boxes.converters import clip_to_image_size as clip_to_image_size
from lamina.utils.bounding_boxes.converters import convert_format as convert_format
from lamina.utils.bounding_boxes.converters import crop as crop
from lamina.utils.bounding_boxes.converters import decode_deltas_to_boxes as decode_deltas_to_boxes
from lamina.utils.bounding_boxes.converters import encode_box_to_deltas as encode_box_to_deltas
from lamina.utils.bounding_boxes.converters import pad as pad
from lamina.utils.bounding_boxes.iou import compute_ciou as compute_ciou
from lamina.utils.bounding_boxes.iou import compute_iou as compute_iou
