#!/bin/bash
# Rerun the records behind docs/operating-points.md and promote them into
# experiments/operating_points/records/ (not incumbents/: other protocol params).
#   experiments/operating_points/run.sh [results dir, default results/operating_points]
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-results/operating_points}
KM=euclidean,euclidean_normed,fuzzy_logic,kmeans,mahalanobis,mahalanobis_normed,manhattan
KM=$KM,manhattan_filtered,manhattan_scaled,nearest_neighbor_mahalanobis
KM=$KM,neural_network_autoassoc,neural_network_standard,outlier_count_zscore,svm_oneclass
OPTS="protocol.operating_split=subjects protocol.identification=true progress=false"
python run.py -m dataset=cmu_dsl protocol=killourhy2009 baseline=$KM $OPTS \
  paths.results_dir="$OUT" hydra.sweep.dir="$OUT/sweeps/cmu_dsl"
for ds in greyc_nislab keystroke100 meu_mobile_ksd; do
  python run.py -m dataset=$ds protocol=fixed_text baseline=$KM $OPTS \
    paths.results_dir="$OUT" hydra.sweep.dir="$OUT/sweeps/$ds"
done
# the dataset folders only: the sweep folders hold job summaries, not records
python -m incumbent.cli promote "$OUT"/cmu_dsl "$OUT"/greyc_nislab_p1 "$OUT"/keystroke100 \
  "$OUT"/meu_mobile_ksd --to experiments/operating_points/records
python -m incumbent.reports.operating_report
