# Relabels: fine class $from joins fine class $into (its slides take $into's label and, through it, $into's
# coarse parent); $from leaves the hierarchy, and its coarse class too when nothing is left under it.
# Labels live only in the JSON, never in the pack, so a relabelled plan reuses the packed bags as they are.
#   jq --arg from shirt --arg into tshirt -f pipelines/filters/merge-classes.jq split.json
if (.hierarchy.fine | index($from)) == null or (.hierarchy.fine | index($into)) == null or $from == $into then
  error("merge-classes.jq: --arg from and --arg into must be two fine classes of the hierarchy (\(.hierarchy.fine | join(", ")))")
else . end
| .hierarchy.parent[$from] as $coarse
| .slides |= map(if .label == $from then .label = $into else . end)
| .hierarchy.fine -= [$from]
| .hierarchy.parent |= del(.[$from])
| if any(.hierarchy.parent[]; . == $coarse) then . else .hierarchy.coarse -= [$coarse] end
