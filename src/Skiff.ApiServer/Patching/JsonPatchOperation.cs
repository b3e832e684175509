using System.Text.Json;
using System.Text.Json.Nodes;

namespace Skiff.ApiServer.Patching;

/// <summary>One parsed RFC 6902 operation. Parsing rejects malformed operations (400) before any of them runs.</summary>
internal sealed class JsonPatchOperation
{
    private readonly string _op;
    private readonly JsonPointer _path;
    private readonly JsonPointer? _from;
    private readonly JsonNode? _value;

    private JsonPatchOperation(string op, JsonPointer path, JsonPointer? from, JsonNode? value)
    {
        _op = op;
        _path = path;
        _from = from;
        _value = value;
    }

    public static JsonPatchOperation Parse(JsonNode? node, int index)
    {
        if (node is not JsonObject operation)
        {
            throw PatchErrors.Malformed($"JSON patch operation {index} must be an object");
        }

        string op = RequiredString(operation, "op", index);
        JsonPointer path = JsonPointer.Parse(RequiredString(operation, "path", index));
        switch (op)
        {
            case "add" or "replace" or "test":
                // "value": null is a real value; only a missing member is an error.
                if (!operation.TryGetPropertyValue("value", out JsonNode? value))
                {
                    throw PatchErrors.Malformed($"JSON patch operation {index} ({op} {path.Text}) has no \"value\"");
                }

                return new JsonPatchOperation(op, path, null, value);
            case "remove":
                return new JsonPatchOperation(op, path, null, null);
            case "move" or "copy":
                return new JsonPatchOperation(op, path, JsonPointer.Parse(RequiredString(operation, "from", index)), null);
            default:
                throw PatchErrors.Malformed($"JSON patch operation {index} has unknown op \"{op}\"");
        }
    }

    public JsonNode? ApplyTo(JsonNode? document)
    {
        switch (_op)
        {
            case "add":
                return Add(document, _path, _value?.DeepClone());
            case "remove":
                Remove(document, _path);
                return document;
            case "replace":
                return Replace(document);
            case "move":
                return Move(document, _from!); // Parse always sets "from" for move and copy.
            case "copy":
                return Add(document, _path, Existing(document, _from!).DeepCloneOrNull());
            default:
                Test(document);
                return document;
        }
    }

    private JsonNode? Add(JsonNode? document, JsonPointer path, JsonNode? value)
    {
        if (path.IsRoot)
        {
            return value;
        }

        switch (path.ResolveParent(document))
        {
            case JsonObject obj:
                obj[path.LastToken] = value;
                break;
            case JsonArray array when path.LastToken == "-":
                array.Add(value);
                break;
            case JsonArray array when JsonPointer.TryParseIndex(path.LastToken, out int index) && index <= array.Count:
                array.Insert(index, value);
                break;
            case JsonArray:
                throw DoesNotApply($"array index \"{path.LastToken}\" is out of bounds", path);
            default:
                throw DoesNotApply("doc is missing path", path);
        }

        return document;
    }

    private void Remove(JsonNode? document, JsonPointer path)
    {
        if (path.IsRoot)
        {
            throw DoesNotApply("the whole document cannot be removed", path);
        }

        switch (path.ResolveParent(document))
        {
            case JsonObject obj when obj.Remove(path.LastToken):
                return;
            case JsonArray array when JsonPointer.TryParseIndex(path.LastToken, out int index) && index < array.Count:
                array.RemoveAt(index);
                return;
            default:
                throw DoesNotApply("doc is missing path", path);
        }
    }

    private JsonNode? Replace(JsonNode? document)
    {
        Existing(document, _path);
        if (_path.IsRoot)
        {
            return _value?.DeepClone();
        }

        switch (_path.ResolveParent(document))
        {
            case JsonObject obj:
                obj[_path.LastToken] = _value?.DeepClone();
                break;
            // Existing() proved the index is valid, so the parse succeeds.
            case JsonArray array when JsonPointer.TryParseIndex(_path.LastToken, out int index):
                array[index] = _value?.DeepClone();
                break;
        }

        return document;
    }

    private JsonNode? Move(JsonNode? document, JsonPointer from)
    {
        if (from.Text == _path.Text)
        {
            Existing(document, from);
            return document;
        }

        // A value cannot become its own descendant (RFC 6902 §4.4).
        if (_path.Text.StartsWith(from.Text + "/", StringComparison.Ordinal))
        {
            throw PatchErrors.Malformed($"JSON patch move from \"{from.Text}\" to its own child \"{_path.Text}\" is not allowed");
        }

        // The check above means "from" is never the root here: every other path is the root's descendant.
        JsonNode? value = Existing(document, from).DeepCloneOrNull();
        Remove(document, from);
        return Add(document, _path, value);
    }

    private void Test(JsonNode? document)
    {
        JsonNode? actual = Existing(document, _path);
        if (!JsonNode.DeepEquals(actual, _value))
        {
            string expected = _value?.ToJsonString() ?? "null";
            throw DoesNotApply($"test failed: the value is not {expected}", _path);
        }
    }

    private JsonNode? Existing(JsonNode? document, JsonPointer path) =>
        path.TryResolve(document, out JsonNode? value) ? value : throw DoesNotApply("doc is missing path", path);

    private Skiff.Machinery.Errors.StatusException DoesNotApply(string why, JsonPointer path) =>
        PatchErrors.DoesNotApply($"JSON patch {_op} operation does not apply: {why}: \"{path.Text}\"");

    private static string RequiredString(JsonObject operation, string member, int index) =>
        operation.TryGetPropertyValue(member, out JsonNode? node) && node is JsonValue value && value.GetValueKind() == JsonValueKind.String
            ? value.GetValue<string>()
            : throw PatchErrors.Malformed($"JSON patch operation {index} must have a string \"{member}\"");
}
