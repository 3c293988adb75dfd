namespace Functional.Facade;

/// <summary>The start of a layer stack: <c>Sequential.Input(784).Linear(128).Relu().Dropout(0.1).Linear(10)</c>.</summary>
public static class Sequential
{
    /// <summary>An empty stack whose input has <paramref name="features"/> features (last dimension), &gt;= 1.</summary>
    public static StackBuilder Input(int features) => new(features);
}
