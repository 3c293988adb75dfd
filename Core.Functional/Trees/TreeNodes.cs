using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Linq.Expressions;
using System.Reflection;
using TorchSharp;

namespace Functional.Core;

/// <summary>
/// Builds and caches the <see cref="TreeNode"/> of each type, so that any parameter record is a tree without
/// hand-written traversal code.
/// </summary>
/// <remarks>
/// A type is classified once: <c>Tensor</c> is a leaf; arrays, <c>List&lt;T&gt;</c>, <c>IReadOnlyList&lt;T&gt;</c> (and
/// the other read-only collection interfaces), <c>ImmutableArray&lt;T&gt;</c>, <c>ImmutableList&lt;T&gt;</c> and F#
/// lists are lists; an F# option is optional; a record that declares <see cref="CustomTreeNodeAttribute"/> is walked by its own
/// <see cref="ICustomTreeNode"/> (the LSTM and GRU records do, to be named as PyTorch's state dict); a class with a public constructor whose parameters match its public
/// properties by name (C# positional records, F# records) is a record; interfaces, abstract classes and
/// <c>object</c> are resolved by the value's runtime type; every other type is configuration. A type that holds
/// tensors in a way none of these reach (a dictionary of tensors, a class without such a constructor) is refused
/// with an error instead of having its tensors silently ignored.
/// </remarks>
internal static class TreeNodes
{
    static readonly ConcurrentDictionary<Type, TreeNode> Cache = new();
    static readonly object BuildLock = new();

    // Nodes of the build in progress (guarded by BuildLock). They are published to Cache only when the outermost
    // build completes: a record node is registered before its fields are built (for recursive records), and
    // another thread reading Cache without the lock must never see it half-built.
    static readonly Dictionary<Type, TreeNode> Pending = new();
    static int buildDepth;

    public static TreeNode For(Type type)
    {
        if (Cache.TryGetValue(type, out var cached)) return cached;
        lock (BuildLock)
        {
            if (Cache.TryGetValue(type, out cached) || Pending.TryGetValue(type, out cached)) return cached;
            buildDepth++;
            try
            {
                var node = Create(type);
                if (buildDepth == 1)
                {
                    foreach (var (built, builtNode) in Pending) Cache[built] = builtNode;
                    Pending.Clear();
                }
                return node;
            }
            catch
            {
                if (buildDepth == 1) Pending.Clear();
                throw;
            }
            finally
            {
                buildDepth--;
            }
        }
    }

    static TreeNode Create(Type type)
    {
        if (type == typeof(torch.Tensor)) return Remember(type, TensorNode.Instance);
        if (typeof(torch.Tensor).IsAssignableFrom(type))
            throw new ArgumentException($"Tree fields must be declared as Tensor, not {type.Name}: declare the field as torch.Tensor.");
        if (IsConfiguration(type)) return Remember(type, StaticNode.Instance);
        // A record with its own flattening (an LSTM named as PyTorch's state dict) declares it on itself.
        if (CustomNode.For(type) is { } custom) return Remember(type, custom);
        if (ListElementType(type) is { } element) return Remember(type, CreateList(type, element));
        if (IsFSharpOption(type)) return Remember(type, CreateOption(type));
        if (type == typeof(object) || type.IsAbstract) return Remember(type, DynamicNode.Instance);
        if (RecordConstructor(type) is { } constructor) return CreateRecord(type, constructor);
        return Remember(type, Untreeable(type));
    }

    /// <summary>Whether the root of a tree is classified by its static type (lists, options) rather than its runtime type.</summary>
    public static bool ClassifiesByStaticType(Type type) => ListElementType(type) is not null || IsFSharpOption(type);

    /// <summary>Configuration, unless the type visibly carries tensors: those are refused rather than silently skipped.</summary>
    static StaticNode Untreeable(Type type) =>
        MentionsTensor(type, depth: 2)
            ? throw new ArgumentException(
                $"Type {type.FullName} holds tensors but is not a tree: a parameter record needs a public constructor " +
                "taking all its public properties (a C# positional record or an F# record); collections must be lists or arrays.")
            : StaticNode.Instance;

    static TreeNode Remember(Type type, TreeNode node) => Pending[type] = node;

    static bool IsConfiguration(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || typeof(Delegate).IsAssignableFrom(type)
        || type == typeof(torch.Device) || type == typeof(Type) || Nullable.GetUnderlyingType(type) is not null;

    static TreeNode CreateRecord(Type type, ConstructorInfo constructor)
    {
        // Registered before its fields, so that recursive records resolve to this node.
        var node = new RecordNode();
        Pending[type] = node;
        try
        {
            var parameters = constructor.GetParameters();
            var uncovered = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.GetIndexParameters().Length == 0 && !parameters.Any(c => string.Equals(c.Name, p.Name, StringComparison.OrdinalIgnoreCase))
                            && MentionsTensor(p.PropertyType, depth: 2))
                .Select(p => p.Name).ToArray();
            if (uncovered.Length > 0)
                throw new ArgumentException(
                    $"Type {type.FullName} holds tensors in properties its constructor does not take ({string.Join(", ", uncovered)}), " +
                    "so they would be lost when the tree is rebuilt: make them constructor parameters, or methods if they are computed.");
            var fields = parameters.Select(parameter =>
            {
                var property = MatchingProperty(type, parameter)!;
                var segment = property.GetCustomAttribute<TreeInlineAttribute>() is not null ? ""
                    : property.GetCustomAttribute<TreeNameAttribute>()?.Segment ?? TreePath.FieldSegment(property.Name);
                return new RecordField(segment, CompileGetter(type, property), For(property.PropertyType));
            }).ToArray();
            if (!fields.Any(field => field.Node.MayHoldTensors)) return Remember(type, Untreeable(type));
            if (fields.Any(field => field.Segment.Length == 0) && fields.Count(field => field.Node.MayHoldTensors) > 1)
                throw new ArgumentException(
                    $"Type {type.FullName} inlines a field ({nameof(TreeInlineAttribute)}) but has other fields that may hold tensors, whose paths could collide: inline only a record's one tensor-holding field.");
            node.Complete(fields, CompileConstructor(constructor));
            return node;
        }
        catch
        {
            Pending.Remove(type);
            throw;
        }
    }

    static ConstructorInfo? RecordConstructor(Type type) =>
        type.IsArray || type.IsPointer || type.IsByRef
            ? null
            : type.GetConstructors(BindingFlags.Public | BindingFlags.Instance)
                .Where(c => c.GetParameters().Length > 0 && c.GetParameters().All(p => MatchingProperty(type, p) is not null))
                .MaxBy(c => c.GetParameters().Length);

    static PropertyInfo? MatchingProperty(Type type, ParameterInfo parameter) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .FirstOrDefault(p => p.CanRead && p.GetIndexParameters().Length == 0 && p.PropertyType == parameter.ParameterType
                                 && string.Equals(p.Name, parameter.Name, StringComparison.OrdinalIgnoreCase));

    static Func<object, object?> CompileGetter(Type type, PropertyInfo property)
    {
        var instance = Expression.Parameter(typeof(object), "instance");
        var body = Expression.Convert(Expression.Property(Expression.Convert(instance, type), property), typeof(object));
        return Expression.Lambda<Func<object, object?>>(body, instance).Compile();
    }

    static Func<object?[], object> CompileConstructor(ConstructorInfo constructor)
    {
        var arguments = Expression.Parameter(typeof(object?[]), "arguments");
        var converted = constructor.GetParameters().Select((p, i) =>
            (Expression)Expression.Convert(Expression.ArrayIndex(arguments, Expression.Constant(i)), p.ParameterType));
        var body = Expression.Convert(Expression.New(constructor, converted), typeof(object));
        return Expression.Lambda<Func<object?[], object>>(body, arguments).Compile();
    }

    /// <summary>The element type when <paramref name="type"/> is a list kind the tree understands.</summary>
    static Type? ListElementType(Type type)
    {
        if (type.IsArray) return type.GetArrayRank() == 1 ? type.GetElementType() : null;
        if (!type.IsGenericType) return null;
        var definition = type.GetGenericTypeDefinition();
        var element = type.GetGenericArguments()[0];
        return definition == typeof(List<>) || definition == typeof(IReadOnlyList<>) || definition == typeof(IList<>)
               || definition == typeof(IReadOnlyCollection<>) || definition == typeof(ICollection<>) || definition == typeof(IEnumerable<>)
               || definition == typeof(ImmutableArray<>) || definition == typeof(ImmutableList<>) || definition == typeof(IImmutableList<>)
               || definition.FullName == "Microsoft.FSharp.Collections.FSharpList`1"
               || !type.IsInterface && ImplementsReadOnlyList(type, element)
            ? element
            : null;
    }

    /// <summary>Other read-only lists (the compiler's collection-expression types, say) are rebuilt as arrays.</summary>
    static bool ImplementsReadOnlyList(Type type, Type element) =>
        type.GetGenericArguments().Length == 1 && typeof(IReadOnlyList<>).MakeGenericType(element).IsAssignableFrom(type);

    static TreeNode CreateList(Type listType, Type elementType)
    {
        var element = For(elementType);
        if (!element.MayHoldTensors) return StaticNode.Instance;
        return new ListNode(element, ListBuilder(listType, elementType));
    }

    static Func<object?[], object> ListBuilder(Type listType, Type elementType)
    {
        var arrayOf = (object?[] items) =>
        {
            var array = Array.CreateInstance(elementType, items.Length);
            for (var i = 0; i < items.Length; i++) array.SetValue(items[i], i);
            return array;
        };
        var definition = listType.IsArray ? null : listType.GetGenericTypeDefinition();
        if (definition is null || listType.IsInterface && definition != typeof(IImmutableList<>)
            || definition != typeof(List<>) && definition != typeof(ImmutableArray<>) && definition != typeof(ImmutableList<>)
               && definition.FullName != "Microsoft.FSharp.Collections.FSharpList`1")
            return arrayOf;
        if (definition == typeof(List<>))
            return items => Activator.CreateInstance(listType, arrayOf(items))!;
        if (definition == typeof(ImmutableArray<>))
        {
            var create = typeof(ImmutableArray).GetMethods().Single(m => m.Name == nameof(ImmutableArray.CreateRange) && m.GetParameters().Length == 1
                                                                          && m.GetParameters()[0].ParameterType.IsGenericType
                                                                          && m.GetParameters()[0].ParameterType.GetGenericTypeDefinition() == typeof(IEnumerable<>))
                .MakeGenericMethod(elementType);
            return items => create.Invoke(null, [arrayOf(items)])!;
        }
        if (definition == typeof(ImmutableList<>) || definition == typeof(IImmutableList<>))
        {
            var create = typeof(ImmutableList).GetMethod(nameof(ImmutableList.CreateRange))!.MakeGenericMethod(elementType);
            return items => create.Invoke(null, [arrayOf(items)])!;
        }
        // F# list: built back to front with Cons.
        var empty = listType.GetProperty("Empty", BindingFlags.Public | BindingFlags.Static)!;
        var cons = listType.GetMethod("Cons", BindingFlags.Public | BindingFlags.Static)!;
        return items =>
        {
            var list = empty.GetValue(null)!;
            for (var i = items.Length - 1; i >= 0; i--) list = cons.Invoke(null, [items[i], list])!;
            return list;
        };
    }

    static bool IsFSharpOption(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition().FullName == "Microsoft.FSharp.Core.FSharpOption`1";

    static TreeNode CreateOption(Type optionType)
    {
        var inner = For(optionType.GetGenericArguments()[0]);
        if (!inner.MayHoldTensors) return StaticNode.Instance;
        var valueProperty = optionType.GetProperty("Value")!;
        var someMethod = optionType.GetMethod("Some", BindingFlags.Public | BindingFlags.Static)!;
        return new OptionNode(inner, option => valueProperty.GetValue(option), value => someMethod.Invoke(null, [value])!);
    }

    /// <summary>Whether a type visibly carries tensors (used only to refuse types the tree cannot walk).</summary>
    static bool MentionsTensor(Type type, int depth)
    {
        if (typeof(torch.Tensor).IsAssignableFrom(type)) return true;
        if (depth == 0 || type.IsPrimitive || type == typeof(string)) return false;
        if (type.IsArray) return MentionsTensor(type.GetElementType()!, depth - 1);
        if (type.IsGenericType && type.GetGenericArguments().Any(argument => MentionsTensor(argument, depth - 1))) return true;
        return type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0)
            .Any(p => MentionsTensor(p.PropertyType, depth - 1));
    }
}
