"""Pairing ground-truth and prediction files by name.

A file's key is its name without the image extension and without the side's suffix: with
``truth_suffix="_masks"`` and ``prediction_suffix="_cp_masks"`` (Cellpose), ``img1_masks.tif``
and ``img1_cp_masks.png`` are both ``img1``. Nothing is dropped silently: files left without a
partner, and files in the folders that are not candidates of either side, are listed (a class
image or region mask, its suffix given, goes with its file: not listed apart). A file
named as a pair with neither suffix (``img1.tif`` beside ``img1_masks.tif``: Cellpose keeps
the images with the masks) is that pair's image, listed apart from the files not used.
Names are compared in Unicode's composed form (NFC): a name is the same whichever form the
file system keeps (macOS keeps names decomposed). When no file pairs but the names of the two
sides differ by a suffix on each side (``img1_masks.tif`` and ``img1_cp_masks.tif`` given
without suffixes), the pairing says which suffixes to give (:class:`SuffixHint`); it never
pairs the files by guessing, never names the suffix of the region or class files (when
given), and names nothing when two suffixes would pair as many files. Given no prefix nor
suffix, names that pair only the images (``img1.tif`` in both folders, beside
``img1_masks.tif`` and ``img1_cp_masks.tif``: Cellpose's outputs written beside the images)
pair nothing: the pairing names those images (:attr:`Pairing.raw_images`) and the suffixes
to give, rather than score raw images as label images. Both sides in one folder
are told apart by suffixes (or prefixes): when none are given, the error
(:class:`OneFolderError`) says which suffixes (or prefixes) the names show, if any.

Prefixes work as the suffixes do, at the start of the name: the Cell Tracking Challenge names
its truth ``man_seg000.tif`` and a result ``mask000.tif``; with ``truth_prefix="man_seg"`` and
``prediction_prefix="mask"`` both are ``000``. A file without its side's prefix is not a
candidate of that side (listed, never dropped). When no file pairs and the names of the two
sides differ by a prefix before a number (``man_seg000`` and ``mask000``, in two folders or
in one), the hint names the prefixes to give (a :class:`SuffixHint` of ``kind``
``"prefix"``), unless the names show suffixes (of words: ``_seg000`` and ``_seg001`` number
the files). A class image or region mask is
named as its file plus its suffix (``man_seg000_classes.tif`` beside ``man_seg000.tif``: a
prefix carries over) or as the pair plus its suffix (``000_classes.tif``); see
:func:`find_class_files`.

The Cell Tracking Challenge annotates some 3-D frames on 2-D slices only: the truth
``man_seg_007_042.tif`` is plane 42 of the frame whose result is ``mask007.tif``. With the
challenge's truth prefix given (``man_seg``, :func:`names_slices`), a truth file named (after
the prefix and suffix) ``_T_Z`` (digits; the leading ``_`` optional) that has no prediction of
its own name pairs with the prediction ``T``, scored on the prediction's plane ``Z``
(:attr:`Pairing.planes`; see :func:`slice_name`): several slices of a frame share its
prediction. The pair is named ``T_Z`` (``007_042``). A truth ``_T`` (``man_seg_007.tif``, the
challenge's other spelling of a whole frame) pairs with ``T``.

A challenge preset whose challenge names its files (``preset="ctc"``: the Cell Tracking
Challenge, :data:`PRESET_PREFIXES`) pairs them by those names when no prefix nor suffix is
given and those names pair more files than the names as they are; :attr:`Pairing.named_by` and
:meth:`Pairing.describe` say so. Never when a prefix or a suffix is given, nor without the
preset.
"""

from __future__ import annotations

import bisect
import re
import shlex
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from itertools import combinations
from pathlib import Path
from typing import Literal, NamedTuple

from .read import (
    FileReadError,
    holds_objects,
    image_extension,
    missing_text,
    zarr_image,
    zarr_node,
)

#: The two ways a name marks its side: at its end and at its start.
KINDS = ("suffix", "prefix")


class SuffixHint(NamedTuple):
    """The suffixes under which files that paired with none would pair: ``truth`` and
    ``prediction`` (either may be empty), the number of ``pairs`` they would make, and the
    suffixes ``given`` (the options to change are those that differ). ``sided`` is False
    when nothing tells which of the two marks the truth (both sides in one folder, names
    without a word such as ``gt`` or ``pred``): the hint then says both ways. ``kind`` is
    ``"prefix"`` when the names differ at their start (``man_seg000`` and ``mask000``): the
    hint is then of the truth and prediction prefixes (``given``: the prefixes given).

    Examples
    --------
    >>> hint = SuffixHint("_masks", "_cp_masks", 6)
    >>> hint.options(command_line=True)
    '--truth-suffix _masks --prediction-suffix _cp_masks'
    >>> hint.options()
    "truth_suffix='_masks', prediction_suffix='_cp_masks'"
    >>> print(hint.text())  # doctest: +NORMALIZE_WHITESPACE
    The names differ by a suffix: truth '_masks', prediction '_cp_masks'; give them as the
    truth and prediction suffixes (6 pair(s) of files).
    >>> unsided = SuffixHint("-a", "-b", 2, sided=False)
    >>> print(unsided.advice(command_line=True))  # doctest: +NORMALIZE_WHITESPACE
    the names differ by a suffix: give --truth-suffix=-a --prediction-suffix=-b if '-a' marks
    the ground truth, else the other way round (2 pair(s))
    >>> SuffixHint("man_seg", "mask", 3, kind="prefix").options(command_line=True)
    '--truth-prefix man_seg --prediction-prefix mask'
    """

    truth: str
    prediction: str
    pairs: int
    given: tuple[str, str] = ("", "")
    sided: bool = True
    kind: str = "suffix"

    def _changed(self) -> list[tuple[str, str]]:
        """(side, suffix) of each side whose suffix (prefix) differs from the one given."""
        hinted = (self.truth, self.prediction)
        return [
            (side, suffix)
            for side, suffix, given in zip(("truth", "prediction"), hinted, self.given, strict=True)
            if suffix != given
        ]

    def options(self, *, command_line: bool = False) -> str:
        """The options to give: as on the command line (``--truth-suffix _masks``, quoted
        for the shell where needed; ``--truth-suffix=-gt`` for a suffix starting with "-",
        which would otherwise be read as an option) or as keywords
        (``truth_suffix='_masks'``)."""
        if command_line:
            return " ".join(
                f"--{side}-{self.kind}{'=' if suffix.startswith('-') else ' '}{shlex.quote(suffix)}"
                for side, suffix in self._changed()
            )
        return ", ".join(f"{side}_{self.kind}={suffix!r}" for side, suffix in self._changed())

    def text(self) -> str:
        """The hint in words that name no option: the truth and prediction suffixes (or
        prefixes), as the Dataset tab's boxes are named (and the keywords).

        Examples
        --------
        >>> print(SuffixHint("man_seg", "mask", 2, ("man_seg", ""), kind="prefix").text())
        The names differ by a prefix: give 'mask' as the prediction prefix (2 pair(s) of files).
        >>> print(SuffixHint("", "mask", 2, sided=False, kind="prefix").text())
        ... # doctest: +NORMALIZE_WHITESPACE
        The names differ by a prefix: some start with 'mask' and some do not, which does not
        say which are the truth; give 'mask' as the prediction prefix if the others are the
        truth, else as the truth prefix (2 pair(s) of files).
        """
        changed = self._changed()
        count = f"({self.pairs} pair(s) of files)."
        start = f"The names differ by a {self.kind}:"
        if not self.sided and len(changed) == 1:
            (side, mark), other = changed[0], _OTHER_SIDE[changed[0][0]]
            where = "start" if self.kind == "prefix" else "end"
            return (
                f"{start} some {where} with {mark!r} and some do not, which does not say which "
                f"are the truth; give {mark!r} as the {side} {self.kind} if the others are the "
                f"{other}, else as the {other} {self.kind} {count}"
            )
        if not self.sided:
            return (
                f"{start} {self.truth!r} and {self.prediction!r}, which do not say which marks "
                f"the truth; give the truth's as the truth {self.kind} and the prediction's as "
                f"the prediction {self.kind} {count}"
            )
        if len(changed) == 1:
            side, mark = changed[0]
            give = f"give {mark!r} as" if mark else "leave empty"
            return f"{start} {give} the {side} {self.kind} {count}"
        sides = ", ".join(f"{side} {mark!r}" if mark else f"{side} none" for side, mark in changed)
        return f"{start} {sides}; give them as the truth and prediction {self.kind}es {count}"

    def advice(self, *, command_line: bool = False) -> str:
        """What to give, naming the options as on the command line or as keywords (see
        :meth:`options`); both ways round when the names do not say which side is which.

        Examples
        --------
        >>> hint = SuffixHint("", "mask", 2, sided=False, kind="prefix")
        >>> print(hint.advice(command_line=True))  # doctest: +NORMALIZE_WHITESPACE
        the names differ by a prefix: give --prediction-prefix mask if the names without 'mask'
        are the ground truth, else --truth-prefix mask (2 pair(s))
        """
        options = self.options(command_line=command_line)
        if not self.sided and len(self._changed()) == 1:
            mark = self._changed()[0][1]
            swapped = self._replace(truth=self.prediction, prediction=self.truth)
            options += (
                f" if the names without {mark!r} are the ground truth, else "
                + swapped.options(command_line=command_line)
            )
        elif not self.sided:
            options += f" if {self.truth!r} marks the ground truth, else the other way round"
        return f"the names differ by a {self.kind}: give {options} ({self.pairs} pair(s))"


#: What the files :attr:`Pairing.ignored` lack, by what marks a side's files
#: (:attr:`Pairing.marks`): a file takes a side with its prefix and suffix both.
MARKS = {
    "suffix": "neither suffix",
    "prefix": "neither prefix",
    "prefix and suffix": "neither side's prefix and suffix",
}
#: Each side's other side, as :meth:`SuffixHint.text` names them.
_OTHER_SIDE = {"truth": "prediction", "prediction": "truth"}

#: The (truth, prediction) prefixes of the file names a preset's challenge defines, with
#: which :func:`pair_files` pairs the files under that preset when none is given: the Cell
#: Tracking Challenge's truth ``man_seg000.tif`` (slices ``man_seg_000_042.tif``) and result
#: ``mask000.tif``.
PRESET_PREFIXES = {"ctc": ("man_seg", "mask")}
#: The keywords of :func:`pair_files` a :class:`Pairing` records (``Pairing.made_with``): how
#: its pairs were named (the prefixes and suffixes) and which files were set aside as their
#: region masks and class images.
PAIRING_KEYWORDS = (
    "truth_suffix",
    "prediction_suffix",
    "truth_prefix",
    "prediction_prefix",
    "region_suffix",
    "truth_classes_suffix",
    "prediction_classes_suffix",
)
#: The challenge of each preset of :data:`PRESET_PREFIXES`, as the pairs' listing names it.
_CHALLENGES = {"ctc": "the Cell Tracking Challenge"}


@dataclass(frozen=True)
class Pairing:
    """Files paired by name.

    ``pairs``: (truth, prediction) paths, sorted by ``names`` (their common key).
    ``unpaired_truth`` / ``unpaired_prediction``: candidates without a partner (without
    their class images and region masks, when those suffixes are given: see
    :func:`pair_files`).
    ``images``: files named as a candidate with neither suffix (``img1.tif`` beside
    ``img1_masks.tif``): the images the labels were drawn on, not evaluated.
    ``ignored``: any other image files in the folders that carry neither side's suffix
    (not a candidate's class image or region mask, when those suffixes are given).
    ``suffix_hint``: when no file paired, the suffixes under which they would
    (:class:`SuffixHint`), if the names of the two sides differ by a suffix; else None.
    ``unmatched_suffixes``: (side, suffix) of each suffix given that no file of that side
    ends with (a typo, most often); ``unmatched_prefixes`` likewise of the prefixes given.
    ``hidden``: image files of the folders whose names start with "." (macOS's ``._name.tif``
    beside each file copied from a Mac, a file hidden on purpose): never paired.
    ``subfolders``: the folders inside the folders given (not image folders such as zarr),
    which are not searched.
    ``marks``: what marks a file as the truth's or the prediction's, which the listing of
    the files not used names (:data:`MARKS`): ``"suffix"`` (suffixes given, or nothing),
    ``"prefix"`` (prefixes given, no suffix) or ``"prefix and suffix"`` (both).
    ``planes``: pair name -> the plane (index on the prediction's first axis) its truth, a
    2-D slice, is scored on (``man_seg_007_042.tif`` with ``mask007.tif``: plane 42); the
    other pairs compare whole images. See :func:`slice_name`.
    ``named_by``: the preset by whose challenge's names the files were paired (its
    :data:`PRESET_PREFIXES`, no prefix nor suffix having been given; see :func:`pair_files`),
    or None.
    ``raw_images``: when the names as they are (no prefix nor suffix given) paired the
    images the labels were drawn on, in both folders beside the label files the
    :attr:`suffix_hint` pairs (Cellpose's ``img1.tif`` beside ``img1_masks.tif`` and
    ``img1.tif`` beside ``img1_cp_masks.tif``), those pairs, not made: each as its (truth
    image, prediction image, truth label file, prediction label file). Nothing pairs then.
    ``made_with``: the keywords of :func:`pair_files` the pairs were named and found with
    (:data:`PAIRING_KEYWORDS`: the prefixes and suffixes of each side, the challenge's prefixes
    when :attr:`named_by` is set, and the region and class suffixes), which
    :func:`~napari_seg_eval.io.evaluate_files` takes and records in ``settings.json``, so that
    the pairs given again as a list are named as they are here; None for a pairing made
    otherwise.
    ``case_differs``: (truth, prediction) of each unpaired truth file whose name differs from
    one unpaired prediction's only in case (``Img1.tif`` and ``img1.tif``), that one only:
    names are compared as written, so they are not paired, and the listing says so.
    """

    pairs: list[tuple[Path, Path]]
    names: list[str]
    unpaired_truth: list[Path] = field(default_factory=list)
    unpaired_prediction: list[Path] = field(default_factory=list)
    ignored: list[Path] = field(default_factory=list)
    images: list[Path] = field(default_factory=list)
    suffix_hint: SuffixHint | None = None
    unmatched_suffixes: tuple[tuple[str, str], ...] = ()
    unmatched_prefixes: tuple[tuple[str, str], ...] = ()
    hidden: list[Path] = field(default_factory=list)
    subfolders: list[Path] = field(default_factory=list)
    marks: Literal["suffix", "prefix", "prefix and suffix"] = "suffix"
    planes: dict[str, int] = field(default_factory=dict)
    named_by: str | None = None
    raw_images: list[tuple[Path, Path, Path, Path]] = field(default_factory=list)
    made_with: dict[str, str | None] | None = None
    case_differs: list[tuple[Path, Path]] = field(default_factory=list)

    def plane(self, name: str) -> int | None:
        """The plane of the prediction's volume the pair ``name`` is scored on (its truth is
        a 2-D slice), or None (whole images)."""
        return self.planes.get(name)

    def __len__(self) -> int:
        return len(self.pairs)

    def describe(self, *, hint: bool = True, most: int | None = None, more: str = "") -> str:
        """The pairing in words: how many pairs, (``hint``) the :attr:`suffix_hint` in words
        that name no option (second, so that a long list of files does not hide it), and every
        file left out: of a list longer than ``most`` + 1, the first ``most`` and how many
        more, followed by ``more`` (where the whole list is, e.g.)."""
        lines = [f"{len(self.pairs)} pair(s) of files."]
        if self.named_by is not None:
            truth, prediction = PRESET_PREFIXES[self.named_by]
            first = f" ({self.pairs[0][0].name} with {self.pairs[0][1].name})" if self.pairs else ""
            lines.append(
                f"Paired as {_CHALLENGES[self.named_by]} names its files (the {self.named_by} "
                f"preset): by the truth prefix {truth!r} and the prediction prefix "
                f"{prediction!r}{first}. To pair them otherwise, give the truth and prediction "
                "prefixes or suffixes yourself."
            )
        slices = [name for name in self.names if name in self.planes]
        if slices:
            lines.append(
                f"{len(slices)} of them pair a 2-D slice of the truth with one plane of the "
                f"prediction's volume (e.g. {slices[0]}: plane {self.planes[slices[0]]})."
            )
        lines += [
            f"No {side} file's name ends with the {side} suffix {suffix!r}: check its spelling."
            for side, suffix in self.unmatched_suffixes
        ]
        lines += [
            f"No {side} file's name starts with the {side} prefix {prefix!r}: check its spelling."
            for side, prefix in self.unmatched_prefixes
        ]
        if self.raw_images:
            lines.append(
                f"{self._raw_text()}; such images ({len(self.raw_images)} in each folder) are "
                "not paired as label images."
            )
        if hint and self.suffix_hint is not None:
            lines.append(self.suffix_hint.text())
        elif hint and self._unmatched():
            lines.append(f"No pairs matched: {self._no_match_text()}.")
        if self.case_differs and not self._unmatched():  # else said with "no pairs matched"
            lines.append(f"{self._case_text()}.")
        companions = self.companions_text()
        if companions:
            lines.append(companions)
        for title, paths in (
            ("ground truth without a prediction", self.unpaired_truth),
            ("prediction{s} without a ground truth", self.unpaired_prediction),
            (f"image file{{s}} with {MARKS[self.marks]}, not used", self.ignored),
        ):
            if paths:
                lines.append(f"{len(paths)} {title.format(s='' if len(paths) == 1 else 's')}:")
                shown = paths if most is None or len(paths) <= most + 1 else paths[:most]
                lines.extend(f"  {path}" for path in shown)
                if len(shown) < len(paths):
                    lines.append(f"  ... and {len(paths) - len(shown)} more{more}")
        if self.images:
            lines.append(
                f"{len(self.images)} image file(s) named as the pairs (the images), not evaluated."
            )
        if self.hidden:
            lines.append(
                f"{len(self.hidden)} hidden file(s) left out (names starting with '.', such as "
                f"the '._' files macOS copies beside each file): {_few(self.hidden)}."
            )
        if self.subfolders:
            searched = f"{len(self.subfolders)} subfolder(s) not searched"
            lines.append(f"{searched}: {_few(self.subfolders)}.")
        return "\n".join(lines)

    def companions_text(self) -> str:
        """The line saying that pairs are named as other pairs plus a suffix (see
        :func:`companion_suffix`, with :data:`COMPANION_WORDS`): class images or region masks
        evaluated as label images, their numbers likely wrong; "" when none is.

        Examples
        --------
        >>> Pairing([(Path("gt/v.tif"), Path("p/v.tif")), (Path("gt/v_classes.tif"),
        ...          Path("p/v_classes.tif"))], ["v", "v_classes"]).companions_text()[:52]
        "1 pair(s) are named as other pairs plus '_classes': "
        """
        companions = companion_suffix(self.names, known=COMPANION_WORDS)
        if companions is None:
            return ""
        suffix, count = companions
        return (
            f"{count} pair(s) are named as other pairs plus {suffix!r}: if they are class "
            "images or regions of those, give it as the class suffixes or the region "
            "suffix (they are evaluated as pairs of label images now)."
        )

    def only_subfolders(self) -> bool:
        """Whether the folders hold subfolders and no file to pair: the images are one level
        down (a plate of wells), which is not searched."""
        return bool(self.subfolders) and not (
            self.pairs or self.unpaired_truth or self.unpaired_prediction or self.ignored
        )

    def advice(self, *, command_line: bool = False) -> str:
        """What to give to pair the files when their names differ by a suffix, naming the
        options as on the command line or as keywords; that subfolders are not searched when
        the folders hold nothing else (:meth:`only_subfolders`); "" otherwise."""
        if self.only_subfolders():
            return (
                "subfolders are not searched: give the folders that hold the files (e.g. "
                f"{self.subfolders[0]}), one run each"
            )
        if self.suffix_hint is None:
            return ""
        advice = self.suffix_hint.advice(command_line=command_line)
        if self.raw_images:
            return f"{self._raw_text()}; {advice}"
        return advice

    def no_match(self, *, command_line: bool = False) -> str:
        """When no file paired, the names of both sides differing by no suffix nor prefix that
        :attr:`suffix_hint` finds: "no pairs matched", a few names of each side, and the
        options (as on the command line, or keywords) to give: the parts of the names that
        mark each side, with the suffix every name of a side ends with, when there is one, and
        how many pairs it would make; or the files whose names differ only in case. "" when
        files paired, a side has none, or :meth:`advice` has what to give.

        Examples
        --------
        >>> pairing = Pairing([], [], unpaired_truth=[Path("gt/a_gt.tif"), Path("gt/b_gt.tif")],
        ...                   unpaired_prediction=[Path("p/c.tif"), Path("p/d.tif")])
        >>> print(pairing.no_match(command_line=True))  # doctest: +NORMALIZE_WHITESPACE
        no pairs matched: ground truth 'a_gt', 'b_gt'; prediction 'c', 'd' (names without
        extension, prefix and suffix; case matters); give as --truth-suffix and
        --prediction-suffix (or the prefixes) the parts of the names that mark each side, so
        that the rest are the same (every ground truth name ends with '_gt': --truth-suffix
        _gt would pair none: the rest differ)
        """
        if self.suffix_hint is not None or not self._unmatched() or self.only_subfolders():
            return ""
        return f"no pairs matched: {self._no_match_text(command_line=command_line)}"

    def _unmatched(self) -> bool:
        """Whether no file paired while both sides have files that could (the names differ)."""
        return not self.pairs and bool(self.unpaired_truth) and bool(self.unpaired_prediction)

    def _no_match_text(self, *, command_line: bool | None = None) -> str:
        """Why nothing paired, when the names differ by no suffix nor prefix the hint finds: a
        few names of each side, and what to give: the suffixes (or prefixes) that mark each
        side, with the suffix all the names of a side end with, if any, and how many pairs it
        would make; named as on the command line (``command_line`` True), as keywords (False)
        or as the Dataset tab's boxes (None)."""
        if len(self.case_differs) == min(len(self.unpaired_truth), len(self.unpaired_prediction)):
            return self._case_text()  # the case is all that differs
        made_with = self.made_with or {}
        given = [made_with.get(f"{side}_suffix") or "" for side in ("truth", "prediction")]
        names = [
            [pair_name(path, suffix, made_with.get(f"{side}_prefix") or "") for path in paths]
            for side, paths, suffix in zip(
                ("truth", "prediction"),
                (self.unpaired_truth, self.unpaired_prediction),
                given,
                strict=True,
            )
        ]
        shown = "; ".join(
            f"{side} {', '.join(map(repr, side_names[:3]))}"
            + (f" and {len(side_names) - 3} more" if len(side_names) > 3 else "")
            for side, side_names in zip(("ground truth", "prediction"), names, strict=True)
        )
        options = {
            True: "--truth-suffix and --prediction-suffix (or the prefixes)",
            False: "truth_suffix= and prediction_suffix= (or the prefixes)",
            None: "the truth and prediction suffixes (or prefixes)",
        }[command_line]
        text = (
            f"{shown} (names without extension, prefix and suffix; case matters); give as "
            f"{options} the parts of the names that mark each side, so that the rest are the same"
        )
        if self.case_differs:
            text += f"; {self._case_text()}"
        common = [_common_suffix(side_names) for side_names in names]
        if not any(common):
            return text
        ends = " and ".join(
            f"every {side} name ends with {end!r}"
            for side, end in zip(("ground truth", "prediction"), common, strict=True)
            if end
        )
        rests = [
            {name[: len(name) - len(end)] if end else name for name in side_names}
            for side_names, end in zip(names, common, strict=True)
        ]
        paired = len(rests[0] & rests[1])
        # The names were read without the suffix given: the suffix to give ends with it.
        marks = [(end or "") + suffix for end, suffix in zip(common, given, strict=True)]
        hint = SuffixHint(marks[0], marks[1], paired, (given[0], given[1]))
        if command_line is None:
            guess = " and ".join(f"{mark!r} as the {side} suffix" for side, mark in hint._changed())
        else:
            guess = hint.options(command_line=command_line)
        would = f"would make {paired} pair(s)" if paired else "would pair none: the rest differ"
        return f"{text} ({ends}: {guess} {would})"

    def _case_text(self) -> str:
        """The files whose names differ from the other side's only in case, in words (the
        first three, and how many more)."""
        shown = ", ".join(
            f"{truth.name} / {prediction.name}" for truth, prediction in self.case_differs[:3]
        )
        more = len(self.case_differs) - 3
        return (
            f"{len(self.case_differs)} ground truth file(s) named as a prediction but for the "
            "case of some letters, not paired (names are compared as written): "
            f"{shown}{f' and {more} more' if more > 0 else ''}; rename one of each to pair them"
        )

    def _raw_text(self) -> str:
        """The first of :attr:`raw_images` in words: ``img1.tif is in both folders beside
        img1_masks.tif / img1_cp_masks.tif: it looks like the raw image``."""
        truth, prediction, truth_labels, pred_labels = self.raw_images[0]
        if truth.name == prediction.name:
            files = f"{truth.name} is in both folders"
            looks = "it looks like the raw image"
        else:
            files = f"{truth.name} and {prediction.name} are in the two folders"
            looks = "they look like the raw image"
        return f"{files} beside {truth_labels.name} / {pred_labels.name}: {looks}"


def _common_suffix(names: list[str]) -> str | None:
    """The longest suffix (starting at a separator, see :func:`_suffix_starts`) that every
    one of two or more ``names`` ends with, shorter than each name; None if none.

    Examples
    --------
    >>> _common_suffix(["img0_gt", "img1_gt"]), _common_suffix(["a_cp_masks", "b_cp_masks"])
    ('_gt', '_cp_masks')
    >>> _common_suffix(["cell01", "cell02"]), _common_suffix(["img0_gt"])
    (None, None)
    """
    if len(names) < 2:
        return None
    first = names[0]
    for start in _suffix_starts(first)[:-1]:
        suffix = first[start:]
        if all(
            len(name) > len(suffix)
            and name.endswith(suffix)
            and _starts(name, len(name) - len(suffix))
            for name in names
        ):
            return suffix
    return None


def _case_differs(truth: dict[str, Path], prediction: dict[str, Path]) -> list[tuple[Path, Path]]:
    """(truth, prediction) of the unpaired files (by name: ``truth``, ``prediction``) whose
    names are one another's but for case, where exactly one file of each side has that name
    ignoring case."""
    folded: dict[str, tuple[list[Path], list[Path]]] = {}
    for index, side in enumerate((truth, prediction)):
        for name, path in side.items():
            folded.setdefault(name.casefold(), ([], []))[index].append(path)
    return sorted(
        (truths[0], predictions[0])
        for truths, predictions in folded.values()
        if len(truths) == len(predictions) == 1
    )


def _few(paths: list[Path], shown: int = 3) -> str:
    """The first ``shown`` of ``paths`` and how many more.

    Examples
    --------
    >>> _few([Path("a"), Path("b"), Path("c"), Path("d"), Path("e")])
    'a, b, c and 2 more'
    """
    more = f" and {len(paths) - shown} more" if len(paths) > shown else ""
    return ", ".join(str(path) for path in paths[:shown]) + more


class OneFolderError(FileReadError):
    """Ground truth and predictions in one folder, with suffixes that do not tell them apart.

    ``suffix_hint`` holds the suffixes under which the folder's files would pair, when their
    names show them (see :func:`folder_suffix_hint`), else None. The message words the hint
    without naming options (as the Dataset tab shows it); :meth:`text` names them.

    Examples
    --------
    >>> error = OneFolderError("cells", SuffixHint("-gt", "-pred", 4))
    >>> print(error)  # doctest: +NORMALIZE_WHITESPACE
    ground truth and predictions are both in cells: the names differ by a suffix: truth '-gt',
    prediction '-pred'; give them as the truth and prediction suffixes (4 pair(s) of files).
    >>> print(error.text(command_line=True))  # doctest: +NORMALIZE_WHITESPACE
    ground truth and predictions are both in cells: the names differ by a suffix: give
    --truth-suffix=-gt --prediction-suffix=-pred (4 pair(s)).
    """

    def __init__(self, folder: str | Path, suffix_hint: SuffixHint | None) -> None:
        self.folder, self.suffix_hint = folder, suffix_hint
        super().__init__(self.text())

    def text(self, *, command_line: bool | None = None) -> str:
        """The error: the hint in words (``command_line`` None), or naming the options as on
        the command line (True) or as keywords (False)."""
        where = f"ground truth and predictions are both in {self.folder}: "
        if self.suffix_hint is None:
            if command_line is None:
                suffixes, prefixes = (f"a truth {k} and a prediction {k}" for k in KINDS)
            elif command_line:
                suffixes, prefixes = (f"--truth-{k} and --prediction-{k}" for k in KINDS)
            else:
                suffixes, prefixes = (f"truth_{k} and prediction_{k}" for k in KINDS)
            return (
                f"{where}give {suffixes} that tell them apart (e.g. '_masks' and '_cp_masks'), "
                f"or {prefixes} (e.g. 'man_seg' and 'mask')."
            )
        if command_line is None:
            words = self.suffix_hint.text()
            return where + words[0].lower() + words[1:]
        return f"{where}{self.suffix_hint.advice(command_line=command_line)}."


def pair_files(
    truth: str | Path | Iterable[str | Path],
    prediction: str | Path | Iterable[str | Path],
    *,
    truth_suffix: str = "",
    prediction_suffix: str = "",
    region_suffix: str | None = None,
    truth_classes_suffix: str | None = None,
    prediction_classes_suffix: str | None = None,
    truth_prefix: str = "",
    prediction_prefix: str = "",
    preset: str | None = None,
) -> Pairing:
    """Pair ground-truth and prediction files by name.

    Parameters
    ----------
    truth, prediction
        A folder, one file, or a list of files each. Two single files make one pair whatever
        their names, named as a pair of folders would name it (the truth's name without the
        truth prefix and suffix, where it has them). Folders may be the same folder when the
        suffixes tell the sides apart. A folder that is a zarr array (the level
        ``slide.ome.zarr/0`` of an OME-Zarr image), or a zarr group with OME-Zarr
        ``multiscales`` or ``labels`` metadata, is one image, not a folder of files; any other
        folder is a folder of images, a zarr group too (dask's ``to_zarr("preds",
        component="img1.zarr")``), see :func:`~napari_seg_eval.io.read.zarr_image`. In such
        a group, the zarr images are its files whatever their names (an array ``img1``).
    truth_suffix, prediction_suffix
        The end of the name (before the extension) that marks each side, e.g. ``"_masks"`` and
        ``"_cp_masks"`` for Cellpose. Only files with the suffix are candidates of that side;
        a name that ends with both suffixes belongs to the side of the longer one
        (``img_cp_masks`` is a prediction, not the truth ``img_cp``).
    region_suffix, truth_classes_suffix, prediction_classes_suffix
        The suffixes of the region and class files, if any (see :func:`find_region_files`,
        :func:`find_class_files`): a file whose name ends with one is never in the suffix
        hint (``img0_heldout.tif`` beside ``img0_masks.tif`` with ``region_suffix="_heldout"``
        never makes ``_heldout`` the truth suffix). The pairs are found as without them; a
        file named as a candidate (its own name or its key) plus one of its side's (the
        region's: the truth's) beside it is that file's class image or region mask, never
        listed as unpaired or not used (``img1_masks_heldout.tif`` beside ``img1_masks.tif``,
        ``lonely_classes.tif`` beside a ``lonely.tif`` without a partner).
    truth_prefix, prediction_prefix
        The start of the name that marks each side, e.g. ``"man_seg"`` and ``"mask"`` for the
        Cell Tracking Challenge (``man_seg000.tif``, ``mask000.tif``: both ``000``). Only
        files with the prefix are candidates of that side (the others are listed, as not
        used); a name that starts with both prefixes belongs to the side of the longer one.
        A pair's key is its name without the prefix and the suffix.
    preset
        The challenge preset of the run (as :func:`~napari_seg_eval.io.evaluate_files` takes
        it), if any. With one whose challenge names its files (``"ctc"``, see
        :data:`PRESET_PREFIXES`) and no prefix nor suffix given, the files are paired under
        the challenge's prefixes (``man_seg``, ``mask``) when those pair more files than the
        names as they are (``Pairing.named_by`` is then the preset, which
        :meth:`Pairing.describe` says).

    Returns
    -------
    Pairing
        The pairs, sorted by name, and every file left out: a file named as a pair with
        neither suffix is listed as the pair's image (``Pairing.images``), any other file
        without a suffix as not used (``Pairing.ignored``). When no file pairs and the names
        of the two sides differ by a suffix on each side, ``Pairing.suffix_hint`` gives the
        suffixes that would pair them (see :func:`suffix_hint`, and
        :func:`folder_suffix_hint` for one folder; said by ``Pairing.describe()``, never
        applied). No hint names a suffix of the region or class files, and none is given when
        two suffixes would pair as many files (two guesses). Without such suffixes, when the
        names differ by a prefix before a number (``man_seg000``, ``mask000``), the hint is
        of the prefixes (``kind="prefix"``). Given no prefix nor suffix, when the names pair
        only files that are each named as another file of its side without a suffix, and the
        suffix hint of the files pairs those others under every pair's name (Cellpose's
        ``img1.tif`` in both folders beside ``img1_masks.tif`` and ``img1_cp_masks.tif``),
        the files paired are the raw images: nothing pairs, ``Pairing.raw_images`` names
        them and ``Pairing.suffix_hint`` the suffixes to give. ``Pairing.made_with`` holds
        the prefixes and suffixes the pairs were made with (the challenge's prefixes under a
        preset), which :func:`~napari_seg_eval.io.evaluate_files` given the pairing takes.

    Raises
    ------
    OneFolderError
        Truth and prediction are one folder and the suffixes are equal (none given, say):
        with the suffixes its files' names show, if any.
    FileReadError
        A path does not exist, or two files of one side have the same key (``a.tif`` and
        ``a.png``), naming both.

    Examples
    --------
    Cellpose keeps the image, its masks and the predicted masks in one folder:

    >>> from napari_seg_eval import pair_files
    >>> pairing = pair_files("cells/", "cells/", truth_suffix="_masks",
    ...                      prediction_suffix="_cp_masks")  # doctest: +SKIP
    >>> pairing.pairs, pairing.images  # doctest: +SKIP
    ([(PosixPath('cells/img_masks.tif'), PosixPath('cells/img_cp_masks.tif'))],
     [PosixPath('cells/img.tif')])

    The Cell Tracking Challenge's names:

    >>> pairing = pair_files("01_GT/SEG/", "01_RES/", truth_prefix="man_seg",
    ...                      prediction_prefix="mask")  # doctest: +SKIP
    >>> pairing.names  # doctest: +SKIP
    ['000', '001']

    The same, by the challenge's preset:

    >>> pair_files("01_GT/SEG/", "01_RES/", preset="ctc").named_by  # doctest: +SKIP
    'ctc'
    """
    keywords = {
        "truth_suffix": truth_suffix,
        "prediction_suffix": prediction_suffix,
        "region_suffix": region_suffix,
        "truth_classes_suffix": truth_classes_suffix,
        "prediction_classes_suffix": prediction_classes_suffix,
    }
    given = (truth_suffix, prediction_suffix, truth_prefix, prediction_prefix)
    named = PRESET_PREFIXES.get(preset or "")
    if named is None or any(given):
        return _pair_files(
            truth,
            prediction,
            truth_prefix=truth_prefix,
            prediction_prefix=prediction_prefix,
            **keywords,
        )
    plain: Pairing | OneFolderError
    try:
        plain = _pair_files(truth, prediction, **keywords)
    except OneFolderError as error:  # the challenge's prefixes may tell the sides apart
        plain = error
    plain_pairs = 0 if isinstance(plain, OneFolderError) else len(plain.pairs)
    try:
        by_name = _pair_files(
            truth, prediction, truth_prefix=named[0], prediction_prefix=named[1], **keywords
        )
    except FileReadError:  # two files of one name under the prefixes: said if nothing pairs
        if plain_pairs:
            return plain
        raise
    if len(by_name.pairs) > plain_pairs:
        return replace(by_name, named_by=preset)
    if isinstance(plain, OneFolderError):
        raise plain
    return plain


def _pair_files(
    truth: str | Path | Iterable[str | Path],
    prediction: str | Path | Iterable[str | Path],
    *,
    truth_suffix: str = "",
    prediction_suffix: str = "",
    region_suffix: str | None = None,
    truth_classes_suffix: str | None = None,
    prediction_classes_suffix: str | None = None,
    truth_prefix: str = "",
    prediction_prefix: str = "",
) -> Pairing:
    """:func:`pair_files` by the prefixes and suffixes given."""
    made_with = {
        "truth_suffix": truth_suffix,
        "prediction_suffix": prediction_suffix,
        "truth_prefix": truth_prefix,
        "prediction_prefix": prediction_prefix,
        "region_suffix": region_suffix,
        "truth_classes_suffix": truth_classes_suffix,
        "prediction_classes_suffix": prediction_classes_suffix,
    }
    truth_listing = _listing(truth, "ground truth")
    pred_listing = _listing(prediction, "prediction")
    truth_files, truth_folder = truth_listing.files, truth_listing.folder
    pred_files, pred_folder = pred_listing.files, pred_listing.folder
    if not truth_folder and not pred_folder and len(truth_files) == len(pred_files) == 1:
        # Named as a list of pairs is (evaluate_files), so that settings.json remakes it.
        pair = (truth_files[0], pred_files[0])
        return listed_pairing([pair], truth_suffix, truth_prefix, made_with=made_with)
    same_folder = truth_folder and pred_folder and _same(truth, prediction)
    # Listed once when both sides are one folder.
    hidden = list(dict.fromkeys(truth_listing.hidden + pred_listing.hidden))
    subfolders = list(dict.fromkeys(truth_listing.subfolders + pred_listing.subfolders))
    truth_all, pred_all = _named(truth_files), _named(pred_files)
    # A side's candidates are the files with its prefix, named without it.
    truth_named, truth_unprefixed = _prefixed(truth_all, truth_prefix, prediction_prefix)
    pred_named, pred_unprefixed = _prefixed(pred_all, prediction_prefix, truth_prefix)
    given = (truth_suffix, prediction_suffix)
    # The hint is of the files that are not region or class files.
    claimed = tuple(
        _nfc(suffix)
        for suffix in (region_suffix, truth_classes_suffix, prediction_classes_suffix)
        if suffix
    )
    truth_free, pred_free = (
        [(stem, path) for stem, path in named if not stem.endswith(claimed)]
        for named in (truth_named, pred_named)
    )
    prefixes = (truth_prefix, prediction_prefix)
    if same_folder and (truth_suffix, truth_prefix) == (prediction_suffix, prediction_prefix):
        raise OneFolderError(
            truth,
            _better_hint(
                _folder_hint(truth_free, given),
                _folder_prefix_hint([stem for stem, _ in truth_free], prefixes),
            ),
        )
    truth_keys, truth_left = _keys(truth_named, truth_suffix, prediction_suffix)
    pred_keys, pred_left = _keys(pred_named, prediction_suffix, truth_suffix)
    # Pair name -> (truth key, prediction key, plane or None): same names, then the slices.
    found = {key: (key, key, None) for key in truth_keys.keys() & pred_keys.keys()}
    if names_slices(truth_prefix):
        _add_slices(found, truth_keys, pred_keys)
    free = {path for _, path in truth_free + pred_free}
    hint = None
    raw_images: list[tuple[Path, Path, Path, Path]] = []
    if found and not any(given + prefixes) and not same_folder:
        raw_images, hint = _raw_images(found, truth_keys, pred_keys, truth_free, pred_free)
        if raw_images:  # the names pair the images: nothing pairs, the hint says how
            found = {}
    names = sorted(found)
    taken = set(truth_keys.values()) | set(pred_keys.values())
    # A file is left out only when neither side took it (one listing when the folders are one).
    out = truth_left + pred_left + truth_unprefixed + pred_unprefixed
    left = sorted({path for path in out if path not in taken})
    keys = truth_keys.keys() | pred_keys.keys()
    # A pair's image is named as the pair, with neither prefix nor suffix.
    stems = {path: stem for stem, path in truth_all + pred_all}
    if not names and hint is None:
        hint = _longer_suffix_hint(
            truth_free,
            pred_free,
            {key: path for key, path in truth_keys.items() if path in free},
            {key: path for key, path in pred_keys.items() if path in free},
            given,
        )
        if hint is None:
            hint = (
                _folder_hint(truth_free, given)
                if same_folder
                else _hint(truth_free, pred_free, given)
                or _masks_hint(truth_free, pred_free, given)
            )
        hint = _better_hint(
            hint,
            _prefix_hint(
                [key for key, path in truth_keys.items() if path in free],
                [key for key, path in pred_keys.items() if path in free],
                prefixes,
            ),
        )
    unmatched = tuple(
        (side, suffix)
        for side, suffix, named in (
            ("ground truth", truth_suffix, truth_named),
            ("prediction", prediction_suffix, pred_named),
        )
        if suffix and not any(stem.endswith(_nfc(suffix)) for stem, _ in named)
    )
    unmatched_prefixes = tuple(
        (side, prefix)
        for side, prefix, named in (
            ("ground truth", truth_prefix, truth_named),
            ("prediction", prediction_prefix, pred_named),
        )
        if prefix and not named
    )
    paired_truth = {truth for truth, _, _ in found.values()}
    paired_pred = {pred for _, pred, _ in found.values()}
    # The class images and region masks of the candidates go with them, never listed.
    companions = _owned_companions(
        [
            (
                [(key, path) for key, path in truth_keys.items()]
                + [(name, truth_keys[found[name][0]]) for name in names],
                (region_suffix, truth_classes_suffix),
            ),
            (
                [(key, path) for key, path in pred_keys.items()]
                + [(name, pred_keys[found[name][1]]) for name in names],
                (prediction_classes_suffix,),
            ),
        ],
        stems,
    )

    def listed(paths: Iterable[Path]) -> list[Path]:
        return sorted(path for path in paths if (path.parent, stems[path]) not in companions)

    unpaired_truth = listed(path for key, path in truth_keys.items() if key not in paired_truth)
    unpaired_pred = listed(path for key, path in pred_keys.items() if key not in paired_pred)
    truth_left_out, pred_left_out = set(unpaired_truth), set(unpaired_pred)
    case_differs = _case_differs(
        {key: path for key, path in truth_keys.items() if path in truth_left_out},
        {key: path for key, path in pred_keys.items() if path in pred_left_out},
    )
    if hint is not None and hint.truth.casefold() == hint.prediction.casefold():
        hint = None  # "Img" and "img": the names differ in case, which the listing says

    return Pairing(
        pairs=[(truth_keys[found[name][0]], pred_keys[found[name][1]]) for name in names],
        names=names,
        unpaired_truth=unpaired_truth,
        unpaired_prediction=unpaired_pred,
        # Without a pair, no file is a pair's image.
        ignored=listed(path for path in left if not names or stems[path] not in keys),
        images=[path for path in left if names and stems[path] in keys],
        suffix_hint=hint,
        unmatched_suffixes=unmatched,
        unmatched_prefixes=unmatched_prefixes,
        hidden=hidden,
        subfolders=subfolders,
        marks=_marks(any(given), any(prefixes)),
        planes={name: plane for name, (_, _, plane) in found.items() if plane is not None},
        raw_images=raw_images,
        made_with=made_with,
        case_differs=case_differs,
    )


def _owned_companions(
    sides: list[tuple[list[tuple[str, Path]], tuple[str | None, ...]]], stems: dict[Path, str]
) -> set[tuple[Path, str]]:
    """The (folder, NFC name without extension) of the class images and region masks of the
    candidates of each side (``sides``: its files, each with its key or its pair's name, and
    its companions' suffixes; see :func:`_companion_forms`) that are no companion themselves:
    a class image or region mask has none of its own, so a file named as one plus a suffix
    (``a_c_r.tif`` beside ``a.tif`` and its class image ``a_c.tif``, region suffix ``_r``)
    is a file of its own, listed (as unpaired or not used), never dropped silently.
    ``stems``: each file's NFC name without extension.

    Examples
    --------
    >>> files = [("a", Path("t/a.tif")), ("a_c", Path("t/a_c.tif"))]
    >>> stems = {path: key for key, path in files}
    >>> sorted(form for _, form in _owned_companions([(files, ("_c", "_r"))], stems))
    ['a_c', 'a_r']
    """
    forms = set().union(*(_companion_forms(named, suffixes) for named, suffixes in sides))
    return set().union(
        *(
            _companion_forms(
                [(name, path) for name, path in named if (path.parent, stems[path]) not in forms],
                suffixes,
            )
            for named, suffixes in sides
        )
    )


def _companion_forms(
    named: list[tuple[str, Path]], suffixes: tuple[str | None, ...]
) -> set[tuple[Path, str]]:
    """The (folder, NFC name without extension) a class image or region mask of the files
    ``named`` (each with its key or its pair's name) may have: the file's own name or the
    given name, plus each of ``suffixes`` given (None or "": not given), beside the file (see
    :class:`_Forms`).

    Examples
    --------
    >>> forms = _companion_forms([("img1", Path("t/img1_masks.tif"))], ("_heldout", None))
    >>> sorted(form for _, form in forms)
    ['img1_heldout', 'img1_masks_heldout']
    """
    return {
        (path.parent, form)
        for name, path in named
        for suffix in suffixes
        if suffix
        for form in _Forms.of(path, name, suffix)
        if form is not None
    }


def _raw_images(
    found: dict[str, tuple[str, str, int | None]],
    truth_keys: dict[str, Path],
    pred_keys: dict[str, Path],
    truth_named: list[tuple[str, Path]],
    pred_named: list[tuple[str, Path]],
) -> tuple[list[tuple[Path, Path, Path, Path]], SuffixHint | None]:
    """The pairs ``found`` by the names as they are (no prefix nor suffix given) when they
    pair the images the labels were drawn on, with the hint that pairs the labels; else
    ``([], None)``.

    Cellpose writes its masks beside the images: ``img1.tif`` and ``img1_masks.tif`` in the
    truth folder, ``img1.tif`` and ``img1_cp_masks.tif`` in the prediction folder pair
    ``img1.tif`` with ``img1.tif``. When every pair's two files are named as another file of
    their side without its suffix (``truth_named``, ``pred_named``: the files that are not
    region or class files, with their names) and the suffix hint of the files (as when
    nothing pairs, see :func:`_masks_hint`: both suffixes non-empty) pairs a file of each
    side under every pair's name, the pairs are the images: each is returned as its (truth
    image, prediction image, truth label file, prediction label file).
    """
    sides = [sorted({stem for stem, _ in named}) for named in (truth_named, pred_named)]
    if not all(_has_longer(name, stems) for name in found for stems in sides):
        return [], None
    hint = _hint(truth_named, pred_named, ("", "")) or _masks_hint(
        truth_named, pred_named, ("", "")
    )
    if hint is None or not (hint.truth and hint.prediction):
        return [], None
    try:
        truth_labels, _ = _keys(truth_named, hint.truth, hint.prediction)
        pred_labels, _ = _keys(pred_named, hint.prediction, hint.truth)
    except FileReadError:  # two files of a side would have the same name
        return [], None
    if not found.keys() <= truth_labels.keys() & pred_labels.keys():
        return [], None
    return [
        (truth_keys[name], pred_keys[name], truth_labels[name], pred_labels[name])
        for name in sorted(found)
    ], hint


def _has_longer(name: str, stems: list[str]) -> bool:
    """Whether a name of ``stems`` (sorted) is ``name`` plus a suffix (see :func:`_starts`).

    Examples
    --------
    >>> _has_longer("img1", ["img1", "img10", "img1_masks"]), _has_longer("img1", ["img10"])
    (True, False)
    """
    for other in stems[bisect.bisect_right(stems, name) :]:  # names starting with it follow
        if not other.startswith(name):
            return False
        if _starts(other, len(name)):
            return True
    return False


#: A truth name (after the prefix and suffix) of a 2-D slice of a frame, the Cell Tracking
#: Challenge's ``man_seg_T_Z`` (T the time point, Z the plane; ``_`` before T optional) ...
_SLICE_KEY = re.compile(r"_?([0-9]+)_([0-9]+)")
#: ... and of a whole frame spelt ``man_seg_T``.
_FRAME_KEY = re.compile(r"_([0-9]+)")


def slice_name(key: str) -> tuple[str, str, int | None] | None:
    """A truth name (after the truth prefix and suffix) in the Cell Tracking Challenge's form
    of a 2-D slice, ``_T_Z`` (``man_seg_007_042`` with the prefix ``man_seg``; the leading
    ``_`` optional), or of a whole frame spelt ``_T`` (``man_seg_007``): the pair's name,
    the prediction's name it pairs with (``T``) and the plane (``Z``; None for a whole frame);
    None for any other name.

    Parameters
    ----------
    key : str
        The truth file's name without its extension, prefix and suffix.

    Returns
    -------
    tuple of (str, str, int or None), or None

    Examples
    --------
    >>> slice_name("_007_042"), slice_name("0007_5")
    (('007_042', '007', 42), ('0007_5', '0007', 5))
    >>> slice_name("_007"), slice_name("007"), slice_name("_a_1")
    (('007', '007', None), None, None)
    """
    match = _SLICE_KEY.fullmatch(key)
    if match is not None:
        return f"{match[1]}_{match[2]}", match[1], int(match[2])
    match = _FRAME_KEY.fullmatch(key)
    if match is not None:
        return match[1], match[1], None
    return None


def names_slices(truth_prefix: str) -> bool:
    """Whether truth files under ``truth_prefix`` may be the Cell Tracking Challenge's 2-D
    slices (:func:`slice_name`): only under the challenge's own prefix, ``man_seg`` (or
    ``man_seg_``), so that no other names (tiles ``gt_012_034``, copies ``gt001_2``) are
    taken for slices.

    Examples
    --------
    >>> names_slices("man_seg"), names_slices("man_seg_"), names_slices("gt_"), names_slices("")
    (True, True, False, False)
    """
    return truth_prefix.rstrip("_") == PRESET_PREFIXES["ctc"][0]


def _add_slices(
    found: dict[str, tuple[str, str, int | None]],
    truth_keys: dict[str, Path],
    pred_keys: dict[str, Path],
) -> None:
    """Add to ``found`` (pair name -> truth key, prediction key, plane) each truth file
    without a prediction of its own name whose name is a slice or a frame of the Cell
    Tracking Challenge's (:func:`slice_name`) with a prediction of its time point.

    Raises
    ------
    FileReadError
        Two truth files would name one pair (``man_seg007`` and ``man_seg_007``).
    """
    for key in sorted(truth_keys.keys() - pred_keys.keys()):
        named = slice_name(key)
        if named is None or named[1] not in pred_keys:
            continue
        name, pred_key, plane = named
        if name in found:
            raise FileReadError(
                f"{truth_keys[found[name][0]]} and {truth_keys[key]} both name the pair "
                f"{name!r} (the Cell Tracking Challenge's time point {pred_key}"
                + ("" if plane is None else f", plane {plane}")
                + "); keep one of them."
            )
        found[name] = (key, pred_key, plane)


def _marks(suffixes: bool, prefixes: bool) -> Literal["suffix", "prefix", "prefix and suffix"]:
    """What marks a side's files (:attr:`Pairing.marks`), by whether suffixes and prefixes
    were given.

    Examples
    --------
    >>> _marks(True, False), _marks(False, True), _marks(True, True), _marks(False, False)
    ('suffix', 'prefix', 'prefix and suffix', 'suffix')
    """
    if prefixes:
        return "prefix and suffix" if suffixes else "prefix"
    return "suffix"


#: The words that name class images and region masks (compared lower case, without the
#: separator before them): a pair named as another pair plus one of them (``vol1_classes``
#: beside ``vol1``) is pointed out even alone (see :func:`companion_suffix`).
COMPANION_WORDS = frozenset(
    {
        "class",
        "classes",
        "cls",
        "type",
        "types",
        "celltype",
        "celltypes",
        "category",
        "categories",
        "semantic",
        "region",
        "regions",
        "roi",
        "rois",
        "heldout",
    }
)


def companion_suffix(names: Iterable[str], known: Iterable[str] = ()) -> tuple[str, int] | None:
    """The suffix that names pairs after other pairs (``a_classes`` beside ``a``: class images
    paired as label images, a class suffix not given), with how many pairs carry it; None when
    fewer than two do, unless the one that does is named by a word of ``known`` (such as
    :data:`COMPANION_WORDS`: ``vol1_classes`` beside ``vol1``). A suffix starts at a character
    that is neither a letter nor a digit and holds a letter (``a_2`` beside ``a`` numbers
    images: no suffix).

    Examples
    --------
    >>> companion_suffix(["a", "a_classes", "b", "b_classes", "c"])
    ('_classes', 2)
    >>> companion_suffix(["a", "a_2", "b", "b_2"]) is None
    True
    >>> companion_suffix(["vol1", "vol1_classes"]) is None
    True
    >>> companion_suffix(["vol1", "vol1_classes"], known=COMPANION_WORDS)
    ('_classes', 1)
    >>> companion_suffix(["vol1", "vol1_bright"], known=COMPANION_WORDS) is None
    True
    """
    words = {word.lower() for word in known}
    names = list(names)
    present = set(names)
    counts: dict[str, int] = {}
    for name in names:
        for i, char in enumerate(name):
            suffix = name[i:]
            if (
                i
                and not char.isalnum()
                and name[:i] in present
                and any(c.isalpha() for c in suffix)
            ):
                counts[suffix] = counts.get(suffix, 0) + 1
    if not counts:
        return None
    suffix = max(counts, key=lambda key: (counts[key], key))
    if counts[suffix] >= 2:
        return suffix, counts[suffix]
    named = sorted(key for key in counts if re.sub(r"^[\W_]+", "", key).lower() in words)
    return (named[0], counts[named[0]]) if named else None


#: Candidate suffixes checked by pairing the files under them (the most voted first).
HINT_CANDIDATES = 3


def suffix_hint(
    truth_files: list[Path], pred_files: list[Path], given: tuple[str, str] = ("", "")
) -> SuffixHint | None:
    """The suffixes under which the files of the two sides would pair, when their names
    differ by a suffix on each side, or None.

    Names are compared in Unicode's composed form (NFC), as :func:`pair_files` pairs them:
    ``café`` typed on one system and on another is one name. Each truth name is set against
    the prediction names sharing its longest beginning (of the :data:`HINT_NEIGHBOURS` before
    and after it in sorted order: ``img0_masks`` is set against both ``img0_cp_masks`` and
    ``img0_flows``, which then tie and give no hint rather than the flows); each
    name's suffix candidate starts at a separator or other character that is neither a letter
    nor a digit, the first of its run, after a letter or digit, at or before the end of the
    shared beginning (``img1_seg`` and ``img1_segmentation`` are ``img1`` + ``_seg`` and
    ``_segmentation``; a word or a number is never split: ``cell01`` and ``cell03`` give no
    candidate). A candidate without a letter (``_001`` / ``_004``, two dates) numbers images
    rather than naming a side, and is never a hint: following it would pair different images.
    The candidates named most often are tried by pairing the files under them; the one pairing
    the most files is the hint, if it pairs more than half of the smaller side and no other
    candidate pairs as many (``img0_masks`` and ``img0_heldout`` beside ``img0_cp_masks``: two
    guesses, no hint). A candidate that pairs a file named as another file of its side that it
    leaves without a partner, less that one's suffix, is never the hint: ``a`` beside
    ``a_masks`` is the image the masks were drawn on (see :func:`_pairs_images`). Never
    applied.

    Parameters
    ----------
    truth_files, prediction_files : list of Path
        Every image file of each side.
    given : (str, str)
        The suffixes given (the hint names the ones to change).

    Returns
    -------
    SuffixHint or None

    Examples
    --------
    >>> hint = suffix_hint([Path("t/a_masks.tif"), Path("t/b_masks.tif")],
    ...                    [Path("p/a_cp_masks.tif"), Path("p/b_cp_masks.tif")])
    >>> hint.truth, hint.prediction, hint.pairs
    ('_masks', '_cp_masks', 2)
    >>> suffix_hint([Path("img1_true.tif")], [Path("img1_test.tif")])[:2]
    ('_true', '_test')
    """
    return _hint(_named(truth_files), _named(pred_files), given)


def _hint(
    truth_named: list[tuple[str, Path]],
    pred_named: list[tuple[str, Path]],
    given: tuple[str, str],
) -> SuffixHint | None:
    """:func:`suffix_hint` of the files of each side with their (NFC) names."""
    truth_stems = {stem for stem, _ in truth_named}
    pred_stems = {stem for stem, _ in pred_named}
    if not truth_stems or not pred_stems:
        return None
    return _most_pairing(
        _hint_votes(truth_named, pred_named, given),
        truth_named,
        pred_named,
        given,
        min(len(truth_stems), len(pred_stems)),
    )


def _hint_votes(
    truth_named: list[tuple[str, Path]],
    pred_named: list[tuple[str, Path]],
    given: tuple[str, str],
) -> Counter[tuple[str, str]]:
    """The (truth, prediction) suffix candidates of :func:`suffix_hint`, with how often the
    names name them; not the suffixes ``given``, nor ones without a letter."""
    truth_stems = sorted({stem for stem, _ in truth_named})
    pred_stems = sorted({stem for stem, _ in pred_named})
    votes: Counter[tuple[str, str]] = Counter()
    if not truth_stems or not pred_stems:
        return votes
    for stem in truth_stems:
        at = bisect.bisect_left(pred_stems, stem)
        window = pred_stems[max(at - HINT_NEIGHBOURS, 0) : at + HINT_NEIGHBOURS]
        nearby = [(_shared(stem, name), name) for name in window]
        longest = max(shared for shared, _ in nearby)
        for shared, other in nearby:
            if shared < longest:
                continue
            if other == stem:
                votes["", ""] += 1
                continue
            start = next(
                (i for i in reversed(_suffix_starts(stem)) if i <= shared and _starts(other, i)),
                0,
            )
            if start:
                votes[stem[start:], other[start:]] += 1
    for suffixes in list(votes):  # not the suffixes given, nor ones without a letter
        if suffixes == given or not any(c.isalpha() for c in "".join(suffixes)):
            del votes[suffixes]
    return votes


def _masks_hint(
    truth_named: list[tuple[str, Path]],
    pred_named: list[tuple[str, Path]],
    given: tuple[str, str],
) -> SuffixHint | None:
    """:func:`_hint` of the files that can be label images, when :func:`_hint` of them all
    gives none: a file named as another of its side without that one's suffix (the raw
    ``img1.tif`` beside ``img1_masks.tif``: the pair's image, not a side) and an NPY file of
    Python objects (Cellpose's ``img1_seg.npy`` beside ``img1_cp_masks.tif``, see
    :func:`~napari_seg_eval.io.read.holds_objects`) are left out. Of suffixes that pair as
    many files, the one pair where a side's suffix ends with the other's (``_masks`` and
    ``_cp_masks``, beside ``_cp_output``) is the hint. None when no file is left out, and
    when a file left out as an image is not the image of a file the hint takes (see
    :func:`_images_of`): ``img1_masks`` beside ``img1_masks_heldout`` (the README's region
    mask) is a label image, and ``_masks_heldout`` is one of two guesses with ``_masks``."""
    truth_masks, pred_masks = _label_files(truth_named), _label_files(pred_named)
    if len(truth_masks) == len(truth_named) and len(pred_masks) == len(pred_named):
        return None
    hint = _hint(truth_masks, pred_masks, given)
    if hint is None:
        votes = Counter(
            suffixes
            for suffixes in _hint_votes(truth_masks, pred_masks, given)
            if all(suffixes)
            and (suffixes[0].endswith(suffixes[1]) or suffixes[1].endswith(suffixes[0]))
        )
        hint = _most_pairing(
            votes,
            truth_masks,
            pred_masks,
            given,
            min(len({stem for stem, _ in truth_masks}), len({stem for stem, _ in pred_masks})),
        )
    if hint is None or not all(
        _images_of(named, suffix)
        for named, suffix in ((truth_named, hint.truth), (pred_named, hint.prediction))
    ):
        return None
    return hint


def _images_of(named: list[tuple[str, Path]], suffix: str) -> bool:
    """Whether the files of one side left out as images by :func:`_masks_hint` (named as
    another file of the side without its suffix) are the images of the files ``suffix``
    takes: each named as one of them without ``suffix`` (``img1`` of ``img1_masks`` under
    ``_masks``). Not so of ``img1_masks`` beside ``img1_masks_heldout`` (a region mask) under
    ``_masks_heldout``: a label image, which the suffix would leave out.

    Examples
    --------
    >>> named = [(stem, Path(f"{stem}.tif")) for stem in ("img1", "img1_masks")]
    >>> _images_of(named, "_masks"), _images_of(named, "_cp_masks"), _images_of(named, "")
    (True, False, False)
    """
    stems = {stem for stem, _ in named}
    bare = _bare(sorted(stems))
    return not bare or (bool(suffix) and all(stem + suffix in stems for stem in bare))


def _bare(stems: list[str]) -> set[str]:
    """The names of ``stems`` (sorted) that another of them is, plus a suffix (see
    :func:`_starts`): ``img1`` of ``img1_masks``."""
    bare = set()
    for at, stem in enumerate(stems):
        for other in stems[at + 1 :]:  # the names starting with ``stem`` follow it
            if not other.startswith(stem):
                break
            if _starts(other, len(stem)):
                bare.add(stem)
                break
    return bare


def _label_files(named: list[tuple[str, Path]]) -> list[tuple[str, Path]]:
    """The files of one side (see :func:`_masks_hint`) less those named as another of the side
    without its suffix and the NPY files of Python objects."""
    bare = _bare(sorted({stem for stem, _ in named}))
    return [(stem, path) for stem, path in named if stem not in bare and not holds_objects(path)]


def _prefix_hint(
    truth_keys: list[str], pred_keys: list[str], given: tuple[str, str]
) -> SuffixHint | None:
    """The prefixes under which the files would pair when their names (``truth_keys``,
    ``pred_keys``: without the prefixes and suffixes ``given``) differ by a prefix before a
    number: ``man_seg000`` and ``mask000`` (the Cell Tracking Challenge) give ``man_seg`` and
    ``mask``; ``000`` and ``mask000`` give none and ``mask``. A name's candidate is its start
    before its first digit (see :func:`_number_head`), or before ``_T_Z`` for the truth's
    slices (``man_seg_000_003``: ``man_seg``, see :func:`slice_name`); the
    :data:`HINT_CANDIDATES` named most often on each side are tried by pairing the names under
    them (slices with the prediction of their time point). The hint is the one
    pairing the most, if it pairs more than half of the side with fewer names and no other
    pairs as many; else None. Never prefixes that pair the image of another name of the side
    that they leave without a partner (``img001`` beside ``img001_masks``, see
    :func:`_names_an_image`). Never applied.

    Examples
    --------
    >>> _prefix_hint(["man_seg000", "man_seg001"], ["mask000", "mask001"], ("", ""))[:3]
    ('man_seg', 'mask', 2)
    >>> _prefix_hint(["000", "001"], ["mask000", "mask001"], ("man_seg", ""))[:3]
    ('man_seg', 'mask', 2)
    >>> _prefix_hint(["man_seg_000_003", "man_seg_000_009"], ["mask000"], ("", ""))[:3]
    ('man_seg', 'mask', 2)
    """
    found: list[tuple[int, tuple[str, str]]] = []
    for truth_head in _heads(truth_keys, slices=True):
        for pred_head in _heads(pred_keys):
            if truth_head == pred_head:  # the names differ elsewhere
                continue
            pred_rests = _headless(pred_keys, pred_head)
            rests = _paired_rests(
                _headless(truth_keys, truth_head),
                pred_rests,
                slices=names_slices(given[0] + truth_head),
            )
            # The prediction names paired: the same rest, or a slice's time point.
            pred_paired = {rest if rest in pred_rests else slice_name(rest)[1] for rest in rests}
            if rests and not (
                _names_an_image(truth_keys, {truth_head + rest for rest in rests})
                or _names_an_image(pred_keys, {pred_head + rest for rest in pred_paired})
            ):
                found.append((len(rests), (given[0] + truth_head, given[1] + pred_head)))
    best = _best(found, min(len(truth_keys), len(pred_keys)))
    if best is None:
        return None
    pairs, prefixes = best
    return SuffixHint(*prefixes, pairs, tuple(given), kind="prefix")


def _folder_prefix_hint(keys: list[str], given: tuple[str, str]) -> SuffixHint | None:
    """The prefixes that tell truth files from prediction files in one folder (``keys``: the
    names without the prefix given, equal on both sides), when the names differ by a prefix
    before a number (``man_seg000`` and ``mask000`` side by side); or None. Of the
    :data:`HINT_CANDIDATES` starts named most often (see :func:`_number_head`), each two are
    tried by pairing the names under them; the hint is the two pairing the most, if they pair
    more than half of the names under the rarer one and no other two pair as many. Which one
    marks the truth is said by the words of the names (``man``, ``gt``, ... against
    ``pred``, ...; see :data:`TRUTH_WORDS`); when they do not say, the hint is not ``sided``,
    and two starts under which a number names several files (``control_01.tif``,
    ``control_01_masks.tif`` beside ``treated_01.tif``, ``treated_01_masks.tif``: two series,
    each of images and masks) are no candidate. Never applied.

    Examples
    --------
    >>> hint = _folder_prefix_hint(["mask000", "man_seg000", "mask001", "man_seg001"], ("", ""))
    >>> hint.truth, hint.prediction, hint.pairs, hint.sided
    ('man_seg', 'mask', 2, True)
    """
    found: list[tuple[int, tuple[str, str]]] = []
    sliced: set[tuple[str, str]] = set()  # (truth, prediction) told by the slices' names
    for first, second in combinations(_heads(keys, slices=True), 2):
        one, other = _headless(keys, first), _headless(keys, second)
        paired = one & other
        numbers = [_NUMBER.match(rest).group() for rest in paired]
        if _sides((first, second), ("", "")) is None and len(set(numbers)) < len(numbers):
            continue  # a number named more than once under each: two series, not two sides
        # The truth's slices (man_seg_000_003) pair with their time point's prediction.
        forward = _paired_rests(one, other, slices=names_slices(first)) - paired
        backward = _paired_rests(other, one, slices=names_slices(second)) - paired
        if bool(forward) != bool(backward):
            sliced.add((first, second) if forward else (second, first))
        count = len(paired) + len(forward) + len(backward)
        taken = {head + rest for head in (first, second) for rest in paired}
        for head, rests, to in ((first, forward, second), (second, backward, first)):
            taken.update(name for rest in rests for name in (head + rest, to + slice_name(rest)[1]))
        if count and 2 * count > min(len(one), len(other)) and not _names_an_image(keys, taken):
            found.append((count, (first, second)))
    best = _best(found)
    if best is None:
        return None
    pairs, heads_found = best
    sides = _sides(heads_found, ("", ""))
    if sides is None:
        sides = next((s for s in sliced if set(s) == set(heads_found)), None)
    prefixes = sides or heads_found
    return SuffixHint(
        given[0] + prefixes[0],
        given[1] + prefixes[1],
        pairs,
        tuple(given),
        sided=sides is not None,
        kind="prefix",
    )


def _better_hint(hint: SuffixHint | None, prefix_hint: SuffixHint | None) -> SuffixHint | None:
    """The suffix hint; the prefix hint when there is none, or when the suffixes differ only
    in their digits and the prefixes pair more files: ``man_seg000``, ``man_seg001`` beside
    ``mask000``, ``mask001`` in one folder also show ``_seg000`` and ``_seg001`` as suffixes
    (pairing ``man``), which number the files rather than mark the sides. A suffix hint of
    words is kept even when prefixes pair more: Cellpose's ``control_01_masks.tif`` and
    ``control_01_cp_masks.tif`` beside ``treated_01_masks.tif`` ... and the images
    ``control_01.tif`` ... pair more files under the prefixes ``control_`` and ``treated_``,
    but those pairs are of two series, not of truth and prediction.

    Examples
    --------
    >>> words, prefixes = SuffixHint("_masks", "_cp_masks", 6), SuffixHint("a", "b", 9)
    >>> _better_hint(words, prefixes) is words
    True
    >>> _better_hint(SuffixHint("_seg000", "_seg001", 1), prefixes) is prefixes
    True
    """
    if hint is None:
        return prefix_hint
    numbers = hint.kind == "suffix" and _NUMBERS.sub("", hint.truth) == _NUMBERS.sub(
        "", hint.prediction
    )
    if numbers and prefix_hint is not None and prefix_hint.pairs > hint.pairs:
        return prefix_hint
    return hint


#: Digits (the suffixes of a hint that differ only in them number the files).
_NUMBERS = re.compile(r"\d")


def _number_head(key: str) -> str | None:
    """A name's start before its first digit, holding a letter (``man_seg`` of
    ``man_seg000``), or "" when the name starts with a digit (``000``: a prefix may be
    missing on this side); None without a digit, or when the start holds no letter.

    Examples
    --------
    >>> _number_head("man_seg000"), _number_head("000"), _number_head("seg"), _number_head("_1")
    ('man_seg', '', None, None)
    """
    if key[:1].isdigit():
        return ""
    match = _NUMBER_HEAD.match(key)
    return match.group() if match else None


def _headless(keys: list[str], head: str) -> set[str]:
    """The names that start with ``head``, without it."""
    return {key[len(head) :] for key in keys if key.startswith(head)}


#: A name's start before its first digit, holding a letter (a prefix candidate).
_NUMBER_HEAD = re.compile(r"(?=\D*[^\W\d_])\D+(?=\d)")

#: The number a name starts with ("" when it starts otherwise).
_NUMBER = re.compile(r"\d*")


def _longer_suffix_hint(
    truth_named: list[tuple[str, Path]],
    pred_named: list[tuple[str, Path]],
    truth_keys: dict[str, Path],
    pred_keys: dict[str, Path],
    given: tuple[str, str],
) -> SuffixHint | None:
    """The suffixes given, one of them made longer, under which the files would pair; or None.

    Cellpose names its masks after the image: ``000_img.png`` has the truth ``000_masks.png``
    and the prediction ``000_img_cp_masks.png``. With the suffixes ``_masks`` and
    ``_cp_masks`` the keys are ``000`` and ``000_img``: a key of one side that is a key of the
    other plus a suffix holding a letter (starting as in :func:`suffix_hint`) puts that suffix
    before the side's suffix given (``--prediction-suffix _img_cp_masks``). The candidates
    named most often are tried by pairing the files under them; the one pairing the most is
    the hint, if it pairs more than half of the candidates under the suffixes given of the
    side with fewer and no other pairs as many. Only when a suffix is given (else
    :func:`suffix_hint` finds it).
    """
    if not any(given) or not truth_keys or not pred_keys:
        return None
    votes: Counter[tuple[str, str]] = Counter()
    for keys, others, side in ((pred_keys, truth_keys, 1), (truth_keys, pred_keys, 0)):
        for key in keys:
            for start in _suffix_starts(key)[:-1]:
                extra = key[start:]
                if key[:start] in others and any(c.isalpha() for c in extra):
                    suffixes = list(given)
                    suffixes[side] = extra + given[side]
                    votes[suffixes[0], suffixes[1]] += 1
    return _most_pairing(
        votes, truth_named, pred_named, given, min(len(truth_keys), len(pred_keys))
    )


def _most_pairing(
    votes: Counter[tuple[str, str]],
    truth_named: list[tuple[str, Path]],
    pred_named: list[tuple[str, Path]],
    given: tuple[str, str],
    fewer: int,
) -> SuffixHint | None:
    """Of the (truth, prediction) suffixes named most often in ``votes``
    (:data:`HINT_CANDIDATES` of them), the one under which the most files pair, as a hint;
    None unless it pairs more than half of ``fewer`` (the names of the side with fewer), and
    None when another pairs as many (two guesses: a tie is not broken by the alphabet)."""
    found: list[tuple[int, tuple[str, str]]] = []
    for suffixes, _ in votes.most_common(HINT_CANDIDATES):
        try:
            truth_found, _ = _keys(truth_named, *suffixes)
            pred_found, _ = _keys(pred_named, *suffixes[::-1])
        except FileReadError:  # two files of a side would have the same name
            continue
        pairs = len(truth_found.keys() & pred_found.keys())
        if pairs and not _pairs_images(truth_found, pred_found, suffixes):
            found.append((pairs, suffixes))
    best = _best(found, fewer)
    if best is None:
        return None
    pairs, suffixes = best
    return SuffixHint(*suffixes, pairs, tuple(given))


def _pairs_images(
    truth_keys: dict[str, Path], pred_keys: dict[str, Path], suffixes: tuple[str, str]
) -> bool:
    """Whether the suffixes of a hint (``suffixes``, under which the files of each side have
    the keys ``truth_keys``, ``pred_keys``) pair a file that is named as another file of its
    side that they leave without a partner, less that one's suffix: the image that file was
    drawn on, not a label image (see :func:`_names_an_image`). ``a.tif`` beside
    ``a_masks.tif`` and ``b.tif`` (an image whose masks are missing), with
    ``a_cp_masks.tif`` and ``b_cp_masks.tif``: the truth suffix ``""`` would pair the images
    ``a`` and ``b``, and leave out ``a_masks``.

    Examples
    --------
    >>> truth = {key: Path(f"t/{key}.tif") for key in ("a", "a_masks", "b")}
    >>> pred = {key: Path(f"p/{key}_cp_masks.tif") for key in ("a", "b")}
    >>> _pairs_images(truth, pred, ("", "_cp_masks"))
    True
    >>> numbered = {key: Path(f"t/{key}.tif") for key in ("a", "a_2")}  # both paired
    >>> _pairs_images(numbered, numbered, ("", "_pred"))
    False
    """
    paired = truth_keys.keys() & pred_keys.keys()
    return any(
        _names_an_image(
            [key + _nfc(suffix) for key in keys], {key + _nfc(suffix) for key in paired}
        )
        for keys, suffix in zip((truth_keys, pred_keys), suffixes, strict=True)
    )


def _names_an_image(names: list[str], paired: set[str]) -> bool:
    """Whether a name of ``paired`` (the names a hint pairs) is named as another of ``names``
    (the names of one side), one not paired, less that one's suffix (see :func:`_starts`):
    ``a`` of ``a_masks``, the image the masks were drawn on.

    Examples
    --------
    >>> _names_an_image(["a", "a_masks", "b"], {"a", "b"})
    True
    >>> _names_an_image(["a", "a_2"], {"a", "a_2"})
    False
    """
    names = sorted(names)
    for at, name in enumerate(names):
        if name not in paired:
            continue
        for other in names[at + 1 :]:  # the names starting with ``name`` follow it
            if not other.startswith(name):
                break
            if other not in paired and _starts(other, len(name)):
                return True
    return False


def _best(
    found: list[tuple[int, tuple[str, str]]], fewer: int = 0
) -> tuple[int, tuple[str, str]] | None:
    """Of the candidates ``found`` (the files each pairs, and its two suffixes or prefixes),
    the one pairing the most, if it pairs more than half of ``fewer`` (the names of the side
    with fewer) and no other pairs as many (two guesses: a tie is not broken by the
    alphabet); else None.

    Examples
    --------
    >>> _best([(2, ("_a", "_b")), (3, ("_c", "_d"))], fewer=4)
    (3, ('_c', '_d'))
    >>> _best([(3, ("_a", "_b")), (3, ("_c", "_d"))]) is None
    True
    """
    found = sorted(found, reverse=True)
    if not found or (len(found) > 1 and found[1][0] == found[0][0]) or 2 * found[0][0] <= fewer:
        return None
    return found[0]


def _heads(keys: list[str], *, slices: bool = False) -> list[str]:
    """The :data:`HINT_CANDIDATES` starts before a number (see :func:`_number_head`) named
    most often by ``keys``: the prefix candidates. With ``slices``, a name of the Cell
    Tracking Challenge's slice form gives its start before ``_T_Z`` (``man_seg`` of
    ``man_seg_000_003``, the prefix under which it pairs: see :func:`slice_name`), and ""
    when it is ``_T_Z`` already (see :func:`_bare_head`)."""
    heads = Counter(
        head
        for key in keys
        if (head := (_slice_head(key) if slices else None) or _bare_head(key, slices)) is not None
    )
    return [head for head, _ in heads.most_common(HINT_CANDIDATES)]


def _bare_head(key: str, slices: bool) -> str | None:
    """:func:`_number_head` of a name; with ``slices``, "" for a name that is a slice or frame
    of the challenge's form already (``_000_002`` under the truth prefix ``man_seg``: the
    prefix is given on this side)."""
    if slices and slice_name(key) is not None:
        return ""
    return _number_head(key)


#: A name of the Cell Tracking Challenge's slice form: a start ending with a letter, then
#: ``_T_Z`` (see :func:`slice_name`).
_SLICE_HEAD = re.compile(r"(\D*?[^\W\d_])_[0-9]+_[0-9]+")


def _slice_head(key: str) -> str | None:
    """The start of a name of the slice form before ``_T_Z``, or None.

    Examples
    --------
    >>> _slice_head("man_seg_000_003"), _slice_head("man_seg000"), _slice_head("_000_003")
    ('man_seg', None, None)
    """
    match = _SLICE_HEAD.fullmatch(key)
    return None if match is None else match[1]


def _paired_rests(truth_rests: set[str], pred_rests: set[str], *, slices: bool) -> set[str]:
    """The truth names (without their prefix) that pair with a prediction name: the same
    name, or (``slices``: under the challenge's truth prefix) a slice or frame of the Cell Tracking
    Challenge's form with its time point's (see :func:`slice_name`).

    Examples
    --------
    >>> sorted(_paired_rests({"000", "_001_004", "_005_1"}, {"000", "001"}, slices=True))
    ['000', '_001_004']
    """
    return {
        rest
        for rest in truth_rests
        if rest in pred_rests
        or (slices and (named := slice_name(rest)) is not None and named[1] in pred_rests)
    }


#: Names compared with each name: in one folder the next ones in sorted order; with two
#: folders, the prediction names before and after the truth name's place (the image, its
#: truth, its prediction and a few other files of one name sit together).
HINT_NEIGHBOURS = 4

#: Words (compared in lower case) that mark a suffix as the truth's or the prediction's.
TRUTH_WORDS = frozenset(
    {"gt", "truth", "groundtruth", "true", "gold", "manual", "man", "annotation", "annotations"}
)
PREDICTION_WORDS = frozenset(
    {"pred", "preds", "predicted", "prediction", "predictions", "cp", "output", "result"}
)


def folder_suffix_hint(files: list[Path], given: tuple[str, str] = ("", "")) -> SuffixHint | None:
    """The suffixes that tell truth files from prediction files in one folder, when the
    names show them and they pair its files, or None. Never applied.

    Each name is set against the few names that follow it in sorted order (they share the
    longest beginnings); where two share a beginning up to a suffix start (as in
    :func:`suffix_hint`), each of their ends is a suffix: ``img0-gt`` and ``img0-pred`` give
    ``-gt`` and ``-pred``. Both suffixes must be non-empty (a file with neither is an image:
    ``img0.tif`` beside ``img0_masks.tif``) and hold a letter. The candidates named most often
    are tried by pairing the files under them; the hint is the one pairing the most files, if
    it pairs more than half of the smaller side, and no other candidate pairs as many (two
    splits of the names are two guesses: no hint). Which suffix marks the truth is said by a
    suffix given (``given``), or by the words of the names (``gt``, ``truth``, ... against
    ``pred``, ``cp``, ...; see :data:`TRUTH_WORDS`, :data:`PREDICTION_WORDS`); when neither
    says it, the hint is not ``sided`` and says both ways.

    Parameters
    ----------
    files : list of Path
        Every image file of the folder.
    given : (str, str)
        The truth and prediction suffixes given.

    Returns
    -------
    SuffixHint or None

    Examples
    --------
    >>> names = ["img0.tif", "img0-gt.tif", "img0-pred.tif", "img1-gt.tif", "img1-pred.tif"]
    >>> folder_suffix_hint([Path(name) for name in names])
    SuffixHint(truth='-gt', prediction='-pred', pairs=2, given=('', ''), sided=True, kind='suffix')
    >>> hint = folder_suffix_hint([Path(n) for n in ("a_red.tif", "a_blue.tif")])
    >>> hint.truth, hint.prediction, hint.sided
    ('_blue', '_red', False)
    """
    return _folder_hint(_named(files), given)


def _folder_hint(named: list[tuple[str, Path]], given: tuple[str, str]) -> SuffixHint | None:
    """:func:`folder_suffix_hint` of the files with their (NFC) names."""
    stems = sorted({stem for stem, _ in named})
    votes: Counter[tuple[str, str]] = Counter()
    for i, stem in enumerate(stems):
        for other in stems[i + 1 : i + 1 + HINT_NEIGHBOURS]:
            shared = _shared(stem, other)
            start = next(
                (k for k in reversed(_suffix_starts(stem)) if k <= shared and _starts(other, k)),
                0,
            )
            if 0 < start < min(len(stem), len(other)):
                votes[stem[start:], other[start:]] += 1  # in sorted order: never twice
    found: list[tuple[int, tuple[str, str]]] = []
    for suffixes, _ in votes.most_common(HINT_CANDIDATES):
        if not all(any(c.isalpha() for c in suffix) for suffix in suffixes):
            continue
        try:
            first, _ = _keys(named, *suffixes)
            second, _ = _keys(named, *suffixes[::-1])
        except FileReadError:  # two files of a side would have the same name
            continue
        pairs = len(first.keys() & second.keys())
        if (
            pairs
            and 2 * pairs > min(len(first), len(second))
            and not _pairs_images(first, second, suffixes)
        ):
            found.append((pairs, suffixes))
    best = _best(found)
    if best is None:
        return None
    pairs, suffixes = best
    sides = _sides(suffixes, given)
    if sides is None:
        return SuffixHint(*suffixes, pairs, tuple(given), sided=False)
    return SuffixHint(*sides, pairs, tuple(given))


def _sides(suffixes: tuple[str, str], given: tuple[str, str]) -> tuple[str, str] | None:
    """The two suffixes as (truth, prediction), as a suffix given or the words of the names
    say; None when neither says."""
    a, b = suffixes
    if given[0] != given[1] and (given[0] in suffixes or given[1] in suffixes):
        return (a, b) if given[0] == a or given[1] == b else (b, a)
    truth, pred = (
        [bool(_words(s) & words) for s in suffixes] for words in (TRUTH_WORDS, PREDICTION_WORDS)
    )
    if (truth[0] or pred[1]) and not (truth[1] or pred[0]):
        return a, b
    if (truth[1] or pred[0]) and not (truth[0] or pred[1]):
        return b, a
    return None


def _words(suffix: str) -> set[str]:
    """The words of a suffix, in lower case (``_cp_masks`` -> cp, masks)."""
    return set(re.findall(r"[^\W_]+", suffix.lower()))


#: Where a suffix may start: the first of a run of characters that are neither letters nor
#: digits (``_``, ``-``, ``.``, space, ...), after a letter or a digit (``[^\W_]``).
_SUFFIX_START = re.compile(r"(?<=[^\W_])[\W_]")


def _suffix_starts(name: str) -> list[int]:
    """Where a suffix of ``name`` may start (see :data:`_SUFFIX_START`), and its end."""
    return [match.start() for match in _SUFFIX_START.finditer(name)] + [len(name)]


def _starts(name: str, at: int) -> bool:
    """Whether a suffix of ``name`` may start at ``at`` (as :func:`_suffix_starts`)."""
    return at == len(name) or (0 < at < len(name) and _SUFFIX_START.match(name, at) is not None)


def _shared(a: str, b: str) -> int:
    """The length of the beginning two names share (by halving: slices compare in C)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


class _Listing(NamedTuple):
    """What :func:`_listing` found: the image ``files``, whether the source was a ``folder``,
    and the folder's ``hidden`` image files and ``subfolders``, left out."""

    files: list[Path]
    folder: bool
    hidden: list[Path]
    subfolders: list[Path]


def _listing(source, side: str) -> _Listing:
    """The image files of a folder (sorted; names starting with "." and subfolders left out,
    and listed), one file, or a list of files. In a folder that is a plain zarr group (not an
    OME-Zarr image), the zarr images it holds are its files whatever their names (``img1``,
    an array that ``zarr.open_group("preds").create_array("img1", ...)`` writes)."""
    if isinstance(source, str | Path):
        path = Path(source)
        if not path.exists():
            raise FileReadError(f"{side}: {missing_text(path)}")
        if path.is_dir() and image_extension(path) is None and not zarr_image(path):
            files, hidden, subfolders = [], [], []
            images = set(_folder_images(path))
            for entry in sorted(path.iterdir()):
                if entry in images:
                    (hidden if entry.name.startswith(".") else files).append(entry)
                elif entry.is_dir() and not entry.name.startswith("."):
                    subfolders.append(entry)
            return _Listing(files, True, hidden, subfolders)
        return _Listing([path], False, [], [])
    files = [Path(p) for p in source]
    missing = [p for p in files if not p.exists()]
    if missing:
        raise FileReadError(f"{side}: {missing_text(missing[0])}")
    return _Listing(files, False, [], [])


def _folder_images(folder: Path) -> list[Path]:
    """The image files and folders in ``folder``: those of an image type by name, and in a
    folder that is a plain zarr group, its zarr images whatever their names (``img1``)."""
    store = zarr_node(folder)
    return [
        entry
        for entry in sorted(folder.iterdir())
        if image_extension(entry) is not None or (store and zarr_image(entry))
    ]


def _same(a, b) -> bool:
    return Path(a).resolve() == Path(b).resolve()


def file_stem(path: Path) -> str:
    """A file's name without its image extension (``a.ome.tif`` -> ``a``, ``b.zarr`` -> ``b``)."""
    extension = image_extension(path) or path.suffix
    if not path.name.lower().endswith(extension):  # a zarr array named as a level ("0")
        return path.name
    return path.name[: len(path.name) - len(extension)]


def pair_name(truth: Path, truth_suffix: str = "", truth_prefix: str = "") -> str:
    """The name of a pair given by its files, as pairing by folders names it: its truth file's
    name without the extension, ``truth_prefix`` and ``truth_suffix`` (each where the name has
    it), in Unicode's composed form (NFC, as :func:`pair_files` compares names). Class and
    region files are found by it.

    Examples
    --------
    >>> pair_name(Path("gt/man_seg000.tif"), truth_prefix="man_seg")
    '000'
    >>> pair_name(Path("gt/img1_masks.tif"), "_masks"), pair_name(Path("gt/img1.tif"), "_masks")
    ('img1', 'img1')
    """
    stem = _nfc(file_stem(truth))
    truth_prefix, truth_suffix = _nfc(truth_prefix), _nfc(truth_suffix)
    if truth_prefix and stem.startswith(truth_prefix):
        stem = stem[len(truth_prefix) :]
    if truth_suffix and stem.endswith(truth_suffix):
        return stem[: len(stem) - len(truth_suffix)]
    return stem


def listed_pairing(
    pairs: Sequence[tuple[Path, Path]],
    truth_suffix: str = "",
    truth_prefix: str = "",
    *,
    made_with: dict[str, str | None] | None = None,
) -> Pairing:
    """A :class:`Pairing` of pairs given file by file (a list of pairs, or two single files),
    each named as pairing folders names it: by its truth file (:func:`pair_name`); under the
    Cell Tracking Challenge's truth prefix (:func:`names_slices`), a truth named as a 2-D
    slice ``man_seg_T_Z`` names the pair ``T_Z`` and is scored on plane Z of its
    prediction's volume, a frame ``man_seg_T`` names it ``T`` (:func:`slice_name`).

    Parameters
    ----------
    pairs : sequence of (Path, Path)
        The (truth, prediction) files.
    truth_suffix, truth_prefix : str
        The truth's suffix and prefix, left out of the names.
    made_with : dict, optional
        The keywords of :func:`pair_files` the pairs were found with
        (:attr:`Pairing.made_with`).

    Returns
    -------
    Pairing

    Examples
    --------
    >>> pairing = listed_pairing([(Path("gt/man_seg_001_003.tif"), Path("res/mask001.tif"))],
    ...                          truth_prefix="man_seg")
    >>> pairing.names, pairing.planes
    (['001_003'], {'001_003': 3})
    >>> listed_pairing([(Path("gt/gt_012_034.tif"), Path("p/012.tif"))], truth_prefix="gt").names
    ['_012_034']
    """
    names = [pair_name(truth, truth_suffix, truth_prefix) for truth, _ in pairs]
    planes: dict[str, int] = {}
    if names_slices(truth_prefix):
        for index, name in enumerate(names):
            named = slice_name(name)
            if named is not None:
                names[index] = named[0]
                if named[2] is not None:
                    planes[named[0]] = named[2]
    return Pairing(list(pairs), names, planes=planes, made_with=made_with)


def _named(files: list[Path]) -> list[tuple[str, Path]]:
    """Each file's name without its image extension, in Unicode's composed form (NFC: a name
    is the same whichever form the file system keeps), and the file."""
    return [(_nfc(file_stem(path)), path) for path in files]


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _prefixed(
    named: list[tuple[str, Path]], prefix: str, other_prefix: str
) -> tuple[list[tuple[str, Path]], list[Path]]:
    """The candidates of one side by prefix (files with their NFC names, see :func:`_named`),
    with their names without the prefix; and the files that are not candidates.

    A file that starts with the other side's prefix, when that prefix is the longer (more
    specific) one, belongs to the other side (as in :func:`_keys`).
    """
    prefix, other_prefix = _nfc(prefix), _nfc(other_prefix)
    claims = len(other_prefix) > len(prefix)
    kept: list[tuple[str, Path]] = []
    left = []
    for stem, path in named:
        if (claims and stem.startswith(other_prefix)) or not stem.startswith(prefix):
            left.append(path)
        else:
            kept.append((stem[len(prefix) :], path))
    return kept, left


def _keys(
    named: list[tuple[str, Path]], suffix: str, other_suffix: str
) -> tuple[dict[str, Path], list[Path]]:
    """Key -> file for the candidates of one side (files with their NFC names, see
    :func:`_named`), and the files that are not candidates.

    A file that ends with the other side's suffix, when that suffix is the longer (more
    specific) one, belongs to the other side: ``img_cp_masks`` is a prediction, not the truth
    ``img_cp`` + ``_masks``.
    """
    suffix, other_suffix = _nfc(suffix), _nfc(other_suffix)
    claims = len(other_suffix) > len(suffix)
    keys: dict[str, Path] = {}
    ignored = []
    for stem, path in named:
        if (claims and stem.endswith(other_suffix)) or not stem.endswith(suffix):
            ignored.append(path)
            continue
        key = stem[: len(stem) - len(suffix)]
        if key in keys:
            if keys[key].name != path.name and _nfc(keys[key].name) == _nfc(path.name):
                raise FileReadError(
                    f"{keys[key]} and {path} differ only in how their accented letters are "
                    "encoded (Unicode composed and decomposed forms, which look the same): "
                    "names are compared composed; rename or remove one of them."
                )
            raise FileReadError(
                f"{keys[key]} and {path} have the same name {key!r}; keep one of them, or "
                "give suffixes that tell them apart."
            )
        keys[key] = path
    return keys, ignored


def find_class_files(
    pairing: Pairing, truth_classes_suffix: str, prediction_classes_suffix: str
) -> tuple[Pairing, list[tuple[Path, Path] | str]]:
    """The class image files of each pair, found by name beside its two files.

    The class image of a pair's truth (prediction) file is the file named as that file plus
    ``truth_classes_suffix`` (``prediction_classes_suffix``), any image extension, beside it:
    ``man_seg000_classes.tif`` beside ``man_seg000.tif`` (a prefix carries over); or named as
    the pair plus the suffix (``000_classes.tif``, the pair ``000``). Both forms of one file's
    class image at once is an error naming them. When both sides are in one folder, a file
    that is the other side's is never taken: named as the other side's file plus its suffix
    (``a_classes.tif`` of ``a.tif`` beside ``a_pred.tif`` and ``a_pred_classes.tif``), or
    named as the pair when only the other side has no file of its own form (``a_classes.tif``
    beside ``a_masks.tif``, ``a_cp_masks.tif`` and ``a_cp_masks_classes.tif``: the truth's).
    Class files found are not images to
    evaluate: a pair of two class files, and class files listed as unpaired or ignored, are
    left out, as are the class files of the unpaired files (named as such a file plus the
    suffix, beside it: they go with it); a class file of no file stays listed. A pair left
    out for one side's file lists the other side's file as unpaired, unless it is a class
    file of its own side (``pred/x_classes.tif`` without ``pred/x.tif``, paired by name with
    ``truth/x_classes.tif``, the class file of ``truth/x.tif``: a prediction without a
    ground truth).

    Parameters
    ----------
    pairing : Pairing
        The pairs of label files.
    truth_classes_suffix, prediction_classes_suffix : str
        The end of a class file's name (before the extension), e.g. ``"_classes"``.

    Returns
    -------
    pairing : Pairing
        The pairing without class files.
    classes : list
        For each pair left: its (truth class file, prediction class file), or the error
        naming the file that was not found (the pair then fails with it, the others go on).

    Examples
    --------
    >>> pairing = pair_files("truth/", "pred/")  # doctest: +SKIP
    >>> pairing, classes = find_class_files(pairing, "_classes", "_classes")  # doctest: +SKIP
    """
    suffixes = {"truth": truth_classes_suffix, "prediction": prediction_classes_suffix}
    for side, suffix in suffixes.items():
        if not isinstance(suffix, str) or not suffix:
            raise ValueError(
                f"find_class_files needs both sides' class suffixes, got {suffix!r} for the "
                f"{side}'s ({side}_classes_suffix); the truth's alone (a probability map's "
                "own classes): napari_seg_eval.io.evaluate.class_files(pairing, truth_suffix, "
                "None)."
            )
    found, kept = _companions(
        pairing, (truth_classes_suffix, prediction_classes_suffix), "class image"
    )
    return kept, [f if isinstance(f, str) else (f[0], f[1]) for f in found]


def find_region_files(pairing: Pairing, region_suffix: str) -> tuple[Pairing, list[Path | str]]:
    """The region mask file of each pair, found by name beside its truth file.

    The region of a pair is the file named as its truth file plus ``region_suffix`` (any
    image extension) beside it (``man_seg000_region.tif`` beside ``man_seg000.tif``), or
    named as the pair plus the suffix (``000_region.tif``); both at once is an error naming
    them. Region files are not images to evaluate: pairs and
    unpaired or ignored files that are region files are left out, as are the region files
    of the unpaired truth files (named as such a file plus the suffix, beside it); a region
    file of no file stays listed. A pair left out for its truth file lists its prediction
    file as unpaired (``pred/x_region.tif``, paired by name with ``truth/x_region.tif``, the
    region of ``truth/x.tif``: a prediction without a ground truth).

    Parameters
    ----------
    pairing : Pairing
        The pairs of label files.
    region_suffix : str
        The end of a region file's name (before the extension), e.g. ``"_region"``.

    Returns
    -------
    pairing : Pairing
        The pairing without region files.
    regions : list
        For each pair left: its region file, or the error naming the file that was not found
        (the pair then fails with it, the others go on).

    Examples
    --------
    >>> pairing = pair_files("truth/", "pred/")  # doctest: +SKIP
    >>> pairing, regions = find_region_files(pairing, "_region")  # doctest: +SKIP
    """
    found, kept = _companions(pairing, (region_suffix, None), "region mask")
    return kept, [f if isinstance(f, str) else f[0] for f in found]


class _Forms(NamedTuple):
    """The names (without extension, NFC) a file's class image or region mask may have: the
    file's ``own`` name plus the suffix, and the pair's name plus the suffix (``paired``;
    None when the two are one: a pair named as its file).

    Examples
    --------
    >>> _Forms.of(Path("SEG/man_seg000.tif"), "000", "_classes")
    _Forms(own='man_seg000_classes', paired='000_classes')
    >>> _Forms.of(Path("truth/img0.tif"), "img0", "_region")
    _Forms(own='img0_region', paired=None)
    """

    own: str
    paired: str | None

    @classmethod
    def of(cls, path: Path, name: str, suffix: str) -> _Forms:
        """The forms of the companion of ``path``, of the pair ``name``."""
        own, paired = (_nfc(stem + suffix) for stem in (file_stem(path), name))
        return cls(own, None if paired == own else paired)


def _companion_file(
    candidates: list[Path],
    path: Path,
    forms: _Forms,
    suffix: str,
    what: str,
    theirs: str | None = None,
) -> Path | str:
    """The one file of ``candidates`` (the files named in one of the ``forms`` beside
    ``path``), or the error saying none or several were found (``what``: e.g. "ground truth
    class image"). ``theirs`` names the other side when the pair's form is that side's
    (not a form of this file)."""
    if len(candidates) == 1:
        return candidates[0]
    if theirs is None:
        names = [stem for stem in forms if stem is not None]
        rule = f"named as the file or the pair, plus {suffix!r}"
    else:
        names = [forms.own]
        rule = f"named as the file plus {suffix!r}: {forms.paired}.* is the {theirs}'s"
    if not candidates:
        found = " nor ".join(f"{stem}.*" for stem in names)
        return f"no {what} {found} beside {path} ({rule})"
    # Either may be the one meant: the pair fails until one is moved or renamed.
    instead = (
        " (or give the one to use as the region of every pair, without the region suffix)"
        if what == "region mask"
        else ""
    )
    return (
        f"{len(candidates)} {what}s of {path.name}: "
        + ", ".join(str(c) for c in candidates)
        + f" (each {rule}); keep one, moving or renaming the other{instead}"
    )


def _theirs(forms: list[_Forms], owned: list[bool], folders: list[Path]) -> list[bool]:
    """For each of the two sides of a pair, whether the pair's form of its companion (see
    :class:`_Forms`) is the other side's, when both are in one folder: named as the other
    side's own form (``a_classes`` of ``a.tif`` beside ``a_pred.tif``), or the other side's
    only companion while this side has its own (``a_classes`` beside ``a_masks.tif`` and
    ``a_cp_masks.tif`` with ``a_cp_masks_classes``). ``owned``: whether a file of each
    side's own form exists."""
    if len(forms) < 2 or folders[0] != folders[1]:
        return [False] * len(forms)
    theirs = []
    for mine, other, have, they_have in ((*forms, *owned), (*forms[::-1], *owned[::-1])):
        shared = mine.paired == other.paired and have and not they_have
        theirs.append(mine.paired is not None and (mine.paired == other.own or shared))
    return theirs


def _companions(
    pairing: Pairing, suffixes: tuple[str | None, str | None], what: str
) -> tuple[list[list[Path] | str], Pairing]:
    """Files named like each pair's truth (suffixes[0]) and prediction (suffixes[1]; None:
    not looked for) file, or like the pair, plus a suffix, beside that file (see
    :class:`_Forms`; never a file that is the other side's, see :func:`_theirs`); and the
    pairing without them."""
    listings: dict[Path, dict[str, list[Path]]] = {}

    def lookup(beside: Path, stem: str | None) -> list[Path]:
        folder = beside.parent
        if folder not in listings:
            listing: dict[str, list[Path]] = {}
            for path in _folder_images(folder):
                listing.setdefault(_nfc(file_stem(path)), []).append(path)
            listings[folder] = listing
        return listings[folder].get(stem, []) if stem is not None else []

    sides = [
        (index, suffix, side)
        for index, (suffix, side) in enumerate(
            zip(suffixes, ("ground truth", "prediction"), strict=True)
        )
        if suffix is not None
    ]
    found: list[list[Path] | str] = []
    looked_up: list[set[Path]] = []  # each pair's companions
    for name, pair in zip(pairing.names, pairing.pairs, strict=True):
        forms = [_Forms.of(pair[index], name, suffix) for index, suffix, _ in sides]
        own = [
            lookup(pair[index], form.own) for (index, _, _), form in zip(sides, forms, strict=True)
        ]
        theirs = _theirs(forms, [bool(files) for files in own], [p.parent.resolve() for p in pair])
        files, errors = [], []
        looked_up.append(set())
        for (index, suffix, side), form, mine, other in zip(sides, forms, own, theirs, strict=True):
            candidates = mine + ([] if other else lookup(pair[index], form.paired))
            looked_up[-1].update(candidates)
            side_name = f"{side} {what}" if len(sides) == 2 else what
            other_side = sides[1 - index][2] if other else None
            file = _companion_file(candidates, pair[index], form, suffix, side_name, other_side)
            (errors if isinstance(file, str) else files).append(file)
        found.append("; ".join(errors) + "." if errors else files)
    # An unpaired file's companions go with it, not listed.
    lonely = [
        (path, lookup(path, _nfc(file_stem(path) + suffix)))
        for index, suffix, _ in sides
        for path in (pairing.unpaired_truth, pairing.unpaired_prediction)[index]
    ]
    named = set().union(*looked_up, *(files for _, files in lonely))
    keep = [i for i, pair in enumerate(pairing.pairs) if not named.intersection(pair)]
    # A companion has none of its own: the files named as one plus a suffix (of a pair left
    # out, or of an unpaired companion) are files of their own, listed, never dropped.
    companions = set().union(
        *(looked_up[i] for i in keep),
        *(files for path, files in lonely if path not in named),
    )
    # A pair left out for one side's file loses the other's partner: that file, a companion
    # of no file of its own side (``p/x_classes`` without ``p/x``, beside ``t/x`` and
    # ``t/x_classes``), is listed without one.
    unpaired = []
    for index, listed in enumerate((pairing.unpaired_truth, pairing.unpaired_prediction)):
        partnerless = {pair[index] for pair in pairing.pairs} - companions
        partnerless -= {pairing.pairs[i][index] for i in keep}  # a file of several pairs
        unpaired.append(sorted(partnerless.union(p for p in listed if p not in companions)))
    kept = replace(
        pairing,
        pairs=[pairing.pairs[i] for i in keep],
        names=[pairing.names[i] for i in keep],
        unpaired_truth=unpaired[0],
        unpaired_prediction=unpaired[1],
        ignored=[p for p in pairing.ignored if p not in companions],
        images=[p for p in pairing.images if p not in companions],
    )
    return [found[i] for i in keep], kept
