# Drops one fine class from an hmil document (split plan or later): its slides leave `slides` and every
# fold, the class leaves the hierarchy, and its coarse class too when no fine class is left under it.
#   jq --arg class normal -f pipelines/filters/drop-class.jq split.json
if (.hierarchy.fine | index($class)) == null then
  error("drop-class.jq: '\($class)' is not a fine class of the hierarchy (\(.hierarchy.fine | join(", ")))")
else . end
| (.slides | map(select(.label == $class) | .slide_id)) as $gone
| .hierarchy.parent[$class] as $coarse
| .slides |= map(select(.label != $class))
| .folds |= map(.train -= $gone | .val -= $gone | .test -= $gone)
| .hierarchy.fine -= [$class]
| .hierarchy.parent |= del(.[$class])
| if any(.hierarchy.parent[]; . == $coarse) then . else .hierarchy.coarse -= [$coarse] end
